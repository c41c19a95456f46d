import { ROOT_CONTEXT, SpanKind, SpanStatusCode, type Attributes, type Span, type SpanContext } from '@opentelemetry/api';
import { hostkitTracer, instruments, serviceRegistry } from './instruments.ts';
import { TelemetryNames as N } from './telemetry-names.ts';
import { failSpan, tracingEnabled } from './work-queue-telemetry.ts';

/** Puts `service` on the `hostkit.background_service.status` gauge, as `name`, for as long as it lives (held weakly). */
export function observeService(service: { readonly status: string }, name: string): void {
  // Without an SDK nothing collects the gauge, and so nothing would ever prune the registry: a
  // process that builds many hosts would keep an entry per service it ever had.
  if (!instruments().enabled) return;
  serviceRegistry.set(serviceKey(service), { telemetryName: name, service: new WeakRef(service) });
}

const keys = new WeakMap<object, string>();
let sequence = 0;
function serviceKey(key: object): string {
  let found = keys.get(key);
  if (found === undefined) {
    sequence += 1;
    found = `${sequence}`;
    keys.set(key, found);
  }
  return found;
}

/** Starts the root span `execute {service}`; undefined when nothing is traced. */
export function startExecuteSpan(service: string, attributes?: Attributes): Span | undefined {
  if (!tracingEnabled()) return undefined;
  return hostkitTracer().startSpan(
    `${N.ExecuteSpan} ${service}`,
    { kind: SpanKind.INTERNAL, root: true, attributes: { [N.ServiceName]: service, ...attributes } },
    ROOT_CONTEXT,
  );
}

/** Ends an execute span: cleanly, or with the fault and, when one follows, the restart event. */
export function endExecuteSpan(span: Span | undefined, outcome?: { readonly error: unknown; readonly restart?: { readonly attempt: number; readonly delay: number } }): void {
  if (span === undefined) return;
  if (outcome !== undefined) {
    failSpan(span, outcome.error);
    if (outcome.restart !== undefined) {
      span.addEvent(N.RestartingEvent, { [N.RestartAttempt]: outcome.restart.attempt, [N.RestartDelayMs]: outcome.restart.delay });
    }
  }
  span.end();
}

/** Counts one restart of `service`. */
export function countRestart(service: string): void {
  instruments().restarts.add(1, { [N.ServiceName]: service });
}

/**
 * Runs one occurrence of a scheduled service under the root span `run {service}`, linked to the
 * service's `execute` span, with the fenced token and the occurrence as attributes.
 */
export async function traceOccurrence<R>(
  service: string,
  executeSpan: SpanContext | undefined,
  occurrence: { readonly time: number; readonly fencingToken: number | undefined; readonly rerun: boolean },
  run: () => Promise<R>,
): Promise<R> {
  if (!tracingEnabled()) return run();
  const attributes: Attributes = {
    [N.ServiceName]: service,
    [N.ScheduleOccurrence]: new Date(occurrence.time).toISOString(),
    [N.ScheduleRerun]: occurrence.rerun,
  };
  if (occurrence.fencingToken !== undefined) attributes[N.LeaseFencingToken] = occurrence.fencingToken;
  return hostkitTracer().startActiveSpan(
    `${N.OccurrenceSpan} ${service}`,
    { kind: SpanKind.INTERNAL, root: true, attributes, links: executeSpan === undefined ? [] : [{ context: executeSpan }] },
    ROOT_CONTEXT,
    async (span) => {
      try {
        return await run();
      } catch (error) {
        failSpan(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** Marks `span` (of a cancelled run) as not failed: a stop is no error. */
export function unsetStatus(span: Span | undefined): void {
  span?.setStatus({ code: SpanStatusCode.UNSET });
}

/** The span context of `span`, for links. */
export function contextOf(span: Span | undefined): SpanContext | undefined {
  return span === undefined ? undefined : span.spanContext();
}

/** Notes the leadership term on the execute span. */
export function leaseEvent(span: Span | undefined, event: 'acquired' | 'lost', lease: string, fencingToken: number): void {
  span?.addEvent(event === 'acquired' ? N.LeaderElectedEvent : N.LeaseLostEvent, { [N.LeaseName]: lease, [N.LeaseFencingToken]: fencingToken });
}

