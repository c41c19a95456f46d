import { ROOT_CONTEXT, SpanKind, type Attributes, type Span } from '@opentelemetry/api';
import { describeValue } from '../internal/describe-value.ts';
import { hostkitTracer } from './instruments.ts';
import { TelemetryNames as N } from './telemetry-names.ts';
import { tracingEnabled } from './work-queue-telemetry.ts';

/**
 * The spans of a named timer's ticks: `tick {name}`, a root span from the moment a wait resolves
 * with a tick to the next wait (the loop body's work) or the timer's disposal.
 */
export class TickSpans {
  readonly #name: string;
  readonly #kind: 'periodic' | 'cron';
  #span: Span | undefined = undefined;

  constructor(name: string, kind: 'periodic' | 'cron') {
    this.#name = name;
    this.#kind = kind;
  }

  /** A tick came: its span starts (occurrence: a cron timer's, epoch ms). */
  begin(occurrence?: number): void {
    this.end();
    if (!tracingEnabled()) return;
    const attributes: Attributes = { [N.TimerName]: this.#name, [N.TimerKind]: this.#kind };
    if (occurrence !== undefined) attributes[N.ScheduleOccurrence] = new Date(occurrence).toISOString();
    this.#span = hostkitTracer().startSpan(`${N.TickSpan} ${this.#name}`, { kind: SpanKind.INTERNAL, root: true, attributes }, ROOT_CONTEXT);
  }

  /** The loop asks for the next tick, or the timer is disposed: the tick's work is over. */
  end(): void {
    const span = this.#span;
    this.#span = undefined;
    span?.end();
  }
}

/** Checks a timer's telemetry name: undefined (no tick spans), or a non-empty string. */
export function tickSpansFor(name: unknown, kind: 'periodic' | 'cron'): TickSpans | undefined {
  if (name === undefined) return undefined;
  if (typeof name !== 'string') throw new TypeError(`Expected name to be a non-empty string, got ${describeValue(name)}`);
  if (name === '') throw new RangeError(`Expected name to be a non-empty string, got ${describeValue(name)}`);
  return new TickSpans(name, kind);
}
