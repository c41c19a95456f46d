/** What a {@link WeatherResponseError} knows besides the problem. */
export interface WeatherResponseErrorOptions extends ErrorOptions {
  /** Requests made before giving up, this one included. @default 1 */
  readonly attempts?: number | undefined;
}

/**
 * The weather service answered with a success status, but the answer cannot be used: the body was
 * not JSON, a field was missing or of the wrong type, arrays that go together had different
 * lengths, or the body was cut short (the connection closed mid-body) or larger than the allowed
 * maximum.
 *
 * {@link problem} names what was wrong, precisely enough to find it in the payload:
 * `daily.temperature_2m_max is missing`, `body exceeded 1048576 bytes`.
 */
export class WeatherResponseError extends Error {
  /** Always `'WeatherResponseError'`: what logs and `error.name` checks see. */
  override readonly name: string = 'WeatherResponseError';
  /** What was wrong, without the "Invalid weather response" prefix of the message. */
  readonly problem: string;
  /** Requests made before giving up, the last one included. */
  readonly attempts: number;

  /**
   * Creates the error; `problem` says what was wrong with the response.
   * @param problem What was wrong, e.g. `daily.time has 6 entries, expected 7`.
   * @param options `cause`: the parse or network error behind it, if any.
   */
  constructor(problem: string, options?: WeatherResponseErrorOptions) {
    const attempts = options?.attempts ?? 1;
    super(
      `Invalid weather response: ${problem}${attempts > 1 ? ` (after ${attempts} attempts)` : ''}`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.problem = problem;
    this.attempts = attempts;
  }
}
