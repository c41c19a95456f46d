/**
 * What the status page shows, gathered from the running host: every hosted service with its
 * state, last and next run, restarts, leadership and fencing token; the channels and work queues
 * with their depth, drops and dead letters; the health checks. Read through public APIs only
 * (`BackgroundService.status`, `clusterLease`, `nextOccurrence`, a feature's `snapshot()`), so it
 * works on whatever HTTP layer serves it.
 * @module
 */
import {
  BackgroundService,
  ScheduledBackgroundService,
  type Channel,
  type HealthCheckService,
  type HostedServiceDescriptor,
  type ServiceResolver,
  type WorkQueue,
} from '@hostkit/core';

/** A service's state on the page: the background service statuses, `stopped` for a completed one, `running` for a plain hosted service. */
export type ServiceState = 'idle' | 'running' | 'restarting' | 'campaigning' | 'faulted' | 'stopped';

/** One hosted service on the page. */
export interface ServiceSnapshot {
  readonly name: string;
  readonly kind: 'background' | 'scheduled' | 'hosted';
  readonly state: ServiceState;
  readonly restarts: number;
  /** The fault's message, while faulted or restarting. */
  readonly fault: string | null;
  /** ISO instant of the last run, when the service tells it. */
  readonly lastRun: string | null;
  /** ISO instant of the next run, when the service is scheduled. */
  readonly nextRun: string | null;
  /** For a cluster singleton: whether this replica leads, and its fencing token while it does. */
  readonly leader: boolean | null;
  readonly fencingToken: number | null;
}

/** Everything the page shows, as JSON. */
export interface StatusSnapshot {
  readonly at: string;
  readonly runtime: string;
  readonly replica: string | null;
  readonly readiness: string;
  readonly services: readonly ServiceSnapshot[];
  readonly channels: readonly { readonly name: string; readonly depth: number; readonly dropped: number }[];
  readonly queues: readonly { readonly name: string; readonly waiting: number; readonly inFlight: number; readonly dead: number; readonly error?: string }[];
  readonly health: { readonly status: string; readonly checks: readonly { readonly name: string; readonly status: string; readonly description: string }[] };
}

/** Where {@link collectStatusSnapshot} reads from. */
export interface StatusSources {
  readonly runtime: string;
  readonly replica?: string | undefined;
  /** The host's hosted services (`builder.services.hostedServices`), resolved through `resolver`. */
  readonly hostedServices: readonly HostedServiceDescriptor[];
  readonly resolver: ServiceResolver;
  readonly healthChecks: HealthCheckService;
  readonly channels?: () => readonly { readonly name: string; readonly channel: Pick<Channel<unknown>, 'droppedCount' | 'reader'> }[];
  readonly queues?: () => readonly { readonly name: string; readonly queue: Pick<WorkQueue<unknown>, 'counts'> }[];
}

function iso(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value).toISOString();
  if (typeof value === 'string' && value !== '') return value;
  return null;
}

/** What a feature's own `snapshot()` says of its runs and leadership (the cleanup and weather services have one). */
function featureRuns(service: object): { lastRun: string | null; nextRun: string | null; leader: boolean | undefined } {
  const snapshot = (service as { snapshot?: () => Record<string, unknown> }).snapshot;
  let data: Record<string, unknown> = {};
  try {
    if (typeof snapshot === 'function') data = snapshot.call(service);
  } catch {
    // A snapshot that fails tells nothing; the service's own state is still shown.
  }
  const last = data.lastRun ?? data.lastFetchedAt;
  const lastRun = typeof last === 'object' && last !== null ? iso((last as Record<string, unknown>).startedAt ?? (last as Record<string, unknown>).at) : iso(last);
  return { lastRun, nextRun: iso(data.nextRun), leader: typeof data.leader === 'boolean' ? data.leader : undefined };
}

function describeService(name: string, service: unknown, ready: boolean): ServiceSnapshot {
  if (!(service instanceof BackgroundService)) {
    return { name, kind: 'hosted', state: ready ? 'running' : 'stopped', restarts: 0, fault: null, lastRun: null, nextRun: null, leader: null, fencingToken: null };
  }
  const runs = featureRuns(service);
  const scheduled = service instanceof ScheduledBackgroundService;
  const status = service.status;
  const state: ServiceState = status === 'completed' ? 'stopped' : status;
  const fault = service.fault;
  const lease = service.clusterLease;
  const singleton = lease !== undefined || status === 'campaigning' || runs.leader !== undefined;
  return {
    name,
    kind: scheduled ? 'scheduled' : 'background',
    state,
    restarts: service.restarts,
    fault: (state === 'faulted' || state === 'restarting') && fault !== undefined ? describeFault(fault) : null,
    lastRun: runs.lastRun,
    nextRun: scheduled ? iso(service.nextOccurrence) : runs.nextRun,
    leader: singleton ? lease !== undefined : null,
    fencingToken: lease?.fencingToken ?? null,
  };
}

/** Reads everything the page shows, now. Never rejects: a part that fails shows its error. */
export async function collectStatusSnapshot(sources: StatusSources, signal?: AbortSignal): Promise<StatusSnapshot> {
  const report = await sources.healthChecks.checkHealth({ ...(signal !== undefined && { signal }) }).catch((error: unknown) => ({
    status: 'unhealthy' as const,
    entries: { 'status page': { status: 'unhealthy' as const, description: String(error) } },
  }));
  const checks = Object.entries(report.entries).map(([name, entry]) => ({ name, status: entry.status, description: entry.description ?? '' }));
  const readiness = checks.find((check) => check.name === 'hostkit.readiness');
  const ready = readiness === undefined || readiness.status === 'healthy';
  const services = sources.hostedServices.map(({ name, token }) => describeService(name, sources.resolver.tryGet(token), ready));
  const channels = (sources.channels?.() ?? []).map(({ name, channel }) => ({ name, depth: channel.reader.count, dropped: channel.droppedCount }));
  const queues = await Promise.all(
    (sources.queues?.() ?? []).map(async ({ name, queue }) => {
      try {
        return { name, ...(await queue.counts(signal)) };
      } catch (error) {
        return { name, waiting: 0, inFlight: 0, dead: 0, error: error instanceof Error ? error.message : String(error) };
      }
    }),
  );
  return {
    at: new Date().toISOString(),
    runtime: sources.runtime,
    replica: sources.replica ?? null,
    readiness: readiness === undefined ? 'unknown' : ready ? 'ready' : 'not ready',
    services,
    channels,
    queues,
    health: { status: report.status, checks },
  };
}

function describeFault(fault: unknown): string {
  if (fault instanceof Error) return fault.message;
  return typeof fault === 'string' ? fault : JSON.stringify(fault) ?? typeof fault;
}
