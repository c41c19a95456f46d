/** What a {@link WeatherRequestError} knows besides the problem. */
export interface WeatherRequestErrorOptions extends ErrorOptions {
  /** Requests made before giving up, this one included. @default 1 */
  readonly attempts?: number | undefined;
}

/**
 * No usable answer came from the weather service: the connection failed or was reset before a
 * response, or the service took longer than a timeout to connect, to send its headers or to go on
 * sending its body, or the client was already closed.
 *
 * The `cause` is the transport's own error (for undici: one with a `code` such as
 * `UND_ERR_HEADERS_TIMEOUT` or `ECONNRESET`), with any secret removed.
 */
export class WeatherRequestError extends Error {
  /** Always `'WeatherRequestError'`: what logs and `error.name` checks see. */
  override readonly name: string = 'WeatherRequestError';
  /** What went wrong, without the "Weather request failed" prefix of the message. */
  readonly problem: string;
  /** Requests made before giving up, the last one included (0 when none could be made). */
  readonly attempts: number;

  /**
   * Creates the error; `problem` says what failed (a timeout, a refused connection).
   * @param problem What went wrong, e.g. `no response headers within 10000 ms (headersTimeout)`.
   * @param options `cause`: the transport's error.
   */
  constructor(problem: string, options?: WeatherRequestErrorOptions) {
    const attempts = options?.attempts ?? 1;
    super(
      `Weather request failed: ${problem}${attempts > 1 ? ` (after ${attempts} attempts)` : ''}`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.problem = problem;
    this.attempts = attempts;
  }
}
