/**
 * Identifies what happened, independently of the message text: a stable number for dashboards and
 * alert rules, and a name for people. Like .NET's `EventId`.
 *
 * Events are declared once, in a catalogue (see `HostLogEvents`), and passed in a record's fields
 * as `{ event: HostLogEvents.Started }`, so that a test or an alert can match on the event instead
 * of on wording that may change.
 */
export interface LogEvent {
  /** Unique within its catalogue. */
  readonly id: number;
  /** PascalCase, unique within its catalogue, e.g. `BackgroundServiceFaulted`. */
  readonly name: string;
}
