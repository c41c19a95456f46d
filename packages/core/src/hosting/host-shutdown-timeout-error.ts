/**
 * Which of the abandoned names were under way when the shutdown was cut short, and which were
 * called only afterwards; see {@link HostShutdownTimeoutError.blocking}.
 */
export interface AbandonedStops {
  /** Under way when the budget ran out: these held the shutdown up. */
  readonly blocking: readonly string[];
  /** Called only once the budget was spent (with an aborted signal), and did not stop at once. */
  readonly askedTooLate: readonly string[];
}

/**
 * The host stopped waiting for hosted services that had not stopped when `shutdownTimeout`
 * elapsed (or when the signal given to `host.stop(signal)` aborted). Those services were
 * abandoned: whatever they still do runs on unsupervised until the process exits.
 *
 * The names come in two groups, because a sequential stop asks one service at a time: the ones
 * that were stopping when the budget ran out ({@link blocking}, usually one: the service that
 * held the shutdown up) and the ones the host reached only afterwards, asked with a signal already
 * aborted ({@link askedTooLate}: they never had time, and are not to blame).
 *
 * `host.stop()` and `host.run()` reject with it (alone, or inside an `AggregateError` with the
 * other stop errors), so the process exits non-zero and the log says which service hung.
 */
export class HostShutdownTimeoutError extends Error {
  /** Always `'HostShutdownTimeoutError'`: what logs and `error.name` checks see. */
  override readonly name: string = 'HostShutdownTimeoutError';
  /** The names (DI token or class names) of the abandoned services, in the order they were stopped. */
  readonly abandoned: readonly string[];
  /** Those of {@link abandoned} that were stopping when the budget ran out. */
  readonly blocking: readonly string[];
  /** Those of {@link abandoned} that were asked to stop only once the budget was spent. */
  readonly askedTooLate: readonly string[];
  /** The `shutdownTimeout` in force, in milliseconds. */
  readonly timeout: number;

  /**
   * Creates the error, naming the abandoned services and the timeout.
   * @param abandoned Names of the services that had not stopped, in stop order.
   * @param timeout The `shutdownTimeout` in milliseconds.
   * @param cause The stop signal's abort reason.
   * @param stops Which of `abandoned` blocked and which were asked too late; by default, all blocked.
   */
  constructor(abandoned: readonly string[], timeout: number, cause?: unknown, stops?: AbandonedStops) {
    const blocking = stops?.blocking ?? abandoned;
    const askedTooLate = stops?.askedTooLate ?? [];
    super(describe(blocking, askedTooLate, timeout), { cause });
    this.abandoned = Object.freeze([...abandoned]);
    this.blocking = Object.freeze([...blocking]);
    this.askedTooLate = Object.freeze([...askedTooLate]);
    this.timeout = timeout;
  }
}

function describe(blocking: readonly string[], askedTooLate: readonly string[], timeout: number): string {
  const total = blocking.length + askedTooLate.length;
  let message = `The host abandoned ${total} hosted service${total === 1 ? '' : 's'} when the shutdown was cut short (shutdownTimeout ${timeout} ms)`;
  if (blocking.length > 0) message += `: ${blocking.join(', ')} had not stopped`;
  if (askedTooLate.length > 0) {
    message += `${blocking.length > 0 ? ';' : ':'} ${askedTooLate.join(', ')} ${askedTooLate.length === 1 ? 'was' : 'were'} asked to stop only after the budget was spent and did not stop at once`;
  }
  return message;
}
