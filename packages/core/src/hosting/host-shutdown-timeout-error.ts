/**
 * The host stopped waiting for hosted services that had not stopped when `shutdownTimeout`
 * elapsed (or when the signal given to `host.stop(signal)` aborted). Those services were
 * abandoned: whatever they still do runs on unsupervised until the process exits.
 *
 * `host.stop()` and `host.run()` reject with it (alone, or inside an `AggregateError` with the
 * other stop errors), so the process exits non-zero and the log says which service hung.
 */
export class HostShutdownTimeoutError extends Error {
  /** Always `'HostShutdownTimeoutError'`: what logs and `error.name` checks see. */
  override readonly name: string = 'HostShutdownTimeoutError';
  /** The names (DI token or class names) of the abandoned services, in the order they were stopped. */
  readonly abandoned: readonly string[];
  /** The `shutdownTimeout` in force, in milliseconds. */
  readonly timeout: number;

  /**
   * Creates the error, naming the abandoned services and the timeout.
   * @param abandoned Names of the services that had not stopped.
   * @param timeout The `shutdownTimeout` in milliseconds.
   * @param cause The stop signal's abort reason.
   */
  constructor(abandoned: readonly string[], timeout: number, cause?: unknown) {
    super(
      `The host abandoned ${abandoned.length} hosted service${abandoned.length === 1 ? '' : 's'} that had not stopped ` +
        `when the shutdown was cut short (shutdownTimeout ${timeout} ms): ${abandoned.join(', ')}`,
      { cause },
    );
    this.abandoned = Object.freeze([...abandoned]);
    this.timeout = timeout;
  }
}
