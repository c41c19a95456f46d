/** What a {@link WeatherApiError} knows besides the status. */
export interface WeatherApiErrorOptions extends ErrorOptions {
  /**
   * The service's own explanation, e.g. Open-Meteo's `reason` field ("Latitude must be in range
   * of -90 to 90°. Given: 91.0."). Implementations shorten it and remove secrets first.
   */
  readonly reason?: string | undefined;
  /** How long the service asked the caller to wait (`Retry-After`), in ms. */
  readonly retryAfterMs?: number | undefined;
  /** Requests made before giving up, this one included. @default 1 */
  readonly attempts?: number | undefined;
}

/**
 * The weather service answered, with an error status: a 4xx (the request was wrong: not retried)
 * or a 429/5xx that was still failing after the implementation's retries, or whose `Retry-After`
 * asked for a longer wait than the implementation allows.
 */
export class WeatherApiError extends Error {
  /** Always `'WeatherApiError'`: what logs and `error.name` checks see. */
  override readonly name: string = 'WeatherApiError';
  /** The HTTP status of the last response. */
  readonly status: number;
  /** The service's explanation, if its error body had one. */
  readonly reason: string | undefined;
  /**
   * The wait the service asked for with `Retry-After`, in ms, when it sent one: a caller that
   * schedules its own retry should wait at least this long.
   */
  readonly retryAfterMs: number | undefined;
  /** Requests made before giving up, the last one included. */
  readonly attempts: number;

  /** Creates the error for the HTTP `status` the service answered with. */
  constructor(status: number, options?: WeatherApiErrorOptions) {
    const reason = options?.reason;
    const retryAfterMs = options?.retryAfterMs;
    const attempts = options?.attempts ?? 1;
    let message = `Weather service responded with status ${status}`;
    if (reason !== undefined && reason !== '') message += `: ${reason}`;
    if (attempts > 1) message += ` (after ${attempts} attempts)`;
    if (retryAfterMs !== undefined) message += `; it asked to retry after ${retryAfterMs} ms`;
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
    this.attempts = attempts;
  }
}
