import { describeValue } from '../internal/describe-value.ts';
import type { LogEvent } from './log-event.ts';
import { logLevelSeverity, type LogLevel } from './log-level.ts';
import type { LogRecord } from './log-record.ts';
import type { LogSink } from './log-sink.ts';

/** Options of {@link MemoryLogSink}. */
export interface MemoryLogSinkOptions {
  /**
   * The most records kept; when full, the oldest is dropped for each new one (and counted in
   * {@link MemoryLogSink.droppedCount}). A bound makes the sink safe to leave on in production,
   * e.g. to show the last records on a diagnostics page.
   * @default Infinity
   */
  readonly capacity?: number;
}

/** What {@link MemoryLogSink.filter} matches on; every given criterion must hold. */
export interface MemoryLogFilter {
  /** The record's event: the same id (a `LogEvent` or its id) or the same name (a string). */
  readonly event?: LogEvent | number | string;
  /** Exactly this level. */
  readonly level?: LogLevel;
  /** This level or a more severe one. */
  readonly minimumLevel?: LogLevel;
  /** Exactly this category. */
  readonly category?: string;
  /** The message contains this text. */
  readonly messageIncludes?: string;
}

/**
 * Keeps records in memory, oldest first: for tests (assert that an event was logged) and for
 * diagnostics (the last N records).
 */
export class MemoryLogSink implements LogSink {
  readonly #capacity: number;
  readonly #records: LogRecord[] = [];
  #dropped = 0;

  /**
   * Creates an empty sink that keeps at most `options.capacity` records.
   * @throws RangeError when `capacity` is not an integer >= 1 or `Infinity`.
   */
  constructor(options: MemoryLogSinkOptions = {}) {
    const capacity = options.capacity ?? Infinity;
    if (!(capacity === Infinity || (Number.isInteger(capacity) && capacity >= 1))) {
      throw new RangeError(`Expected capacity to be an integer >= 1 or Infinity, got ${describeValue(capacity)}`);
    }
    this.#capacity = capacity;
  }

  /** The records kept, oldest first. A live view: copy it to keep a snapshot. */
  get records(): readonly LogRecord[] {
    return this.#records;
  }

  /** How many records were dropped because the sink was full. */
  get droppedCount(): number {
    return this.#dropped;
  }

  /** Keeps `record`; when the sink is full, drops the oldest record and counts it in {@link droppedCount}. */
  write(record: LogRecord): void {
    if (this.#records.length >= this.#capacity) {
      this.#records.shift();
      this.#dropped++;
    }
    this.#records.push(record);
  }

  /** Forgets every record (the dropped count too). */
  clear(): void {
    this.#records.length = 0;
    this.#dropped = 0;
  }

  /** The records matching every criterion of `criteria`, oldest first. */
  filter(criteria: MemoryLogFilter): LogRecord[] {
    const minimum = criteria.minimumLevel === undefined ? undefined : logLevelSeverity(criteria.minimumLevel);
    return this.#records.filter(
      (record) =>
        (criteria.event === undefined || matchesEvent(record.event, criteria.event)) &&
        (criteria.level === undefined || record.level === criteria.level) &&
        (minimum === undefined || logLevelSeverity(record.level) >= minimum) &&
        (criteria.category === undefined || record.category === criteria.category) &&
        (criteria.messageIncludes === undefined || record.message.includes(criteria.messageIncludes)),
    );
  }

  /** The records of `event` (a `LogEvent` or its id: matched by id; a string: matched by name). */
  byEvent(event: LogEvent | number | string): LogRecord[] {
    return this.filter({ event });
  }

  /** The records at exactly `level`. */
  byLevel(level: LogLevel): LogRecord[] {
    return this.filter({ level });
  }

  /** The records of exactly `category`. */
  byCategory(category: string): LogRecord[] {
    return this.filter({ category });
  }
}

function matchesEvent(actual: LogEvent | undefined, expected: LogEvent | number | string): boolean {
  if (actual === undefined) return false;
  if (typeof expected === 'number') return actual.id === expected;
  if (typeof expected === 'string') return actual.name === expected;
  return actual.id === expected.id;
}
