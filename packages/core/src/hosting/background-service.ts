import { createAbortError } from '../cancellation/abort-errors.ts';
import { CancellationSource } from '../cancellation/cancellation-source.ts';
import type { DistributedLock } from '../coordination/distributed-lock.ts';
import { checkLeaseKey, checkPositiveMs } from '../coordination/lease-arguments.ts';
import type { Lease } from '../coordination/lease.ts';
import { describeValue } from '../internal/describe-value.ts';
import { LeaseLostError } from '../coordination/lease-lost-error.ts';
import { LeaseReleasedError } from '../coordination/lease-released-error.ts';
import { raceSignal } from '../cancellation/race-signal.ts';
import { isCancellation } from '../cancellation/is-cancellation.ts';
import { HostLogEvents } from './host-log-events.ts';
import type { Logger } from '../logging/logger.ts';
import { nullLogger } from '../logging/null-logger.ts';
import { systemTimeProvider } from '../time/system-time-provider.ts';
import type { TimeProvider } from '../time/time-provider.ts';
import { nameOf } from './name-of.ts';
import type { HostedService } from './hosted-service.ts';
import { resolveRestartPolicy, restartDelay, type ResolvedRestartPolicy, type RestartPolicy } from './restart-policy.ts';
import type { Span, SpanContext } from '@opentelemetry/api';
import { TelemetryNames } from '../telemetry/telemetry-names.ts';
import { countRestart, endExecuteSpan, leaseEvent, observeService, startExecuteSpan } from '../telemetry/service-telemetry.ts';

/** Options of {@link BackgroundService}, passed to its constructor with `super(options)`. */
export interface BackgroundServiceOptions {
  /**
   * Restart `execute` after a fault, with backoff (see {@link RestartPolicy}).
   * @default undefined: the first fault is final.
   */
  restartPolicy?: RestartPolicy | undefined;
  /**
   * The clock that measures restart backoff. A host passes its own to the services it runs, so
   * leave it unset there.
   * @default the host's TimeProvider, or systemTimeProvider outside a host
   */
  timeProvider?: TimeProvider | undefined;
  /**
   * Where restarts are logged. A host gives each service a logger in its own category, so leave it
   * unset there.
   * @default the host's logger for the service, or nullLogger outside a host
   */
  logger?: Logger | undefined;
  /**
   * Run `execute` on one replica at a time across the cluster: the service campaigns for a lease
   * on `name` through `lock` and calls `execute` only while it holds it. See
   * {@link ClusterSingletonOptions}.
   * @default undefined: `execute` runs on every replica.
   */
  clusterSingleton?: ClusterSingletonOptions | undefined;
}

/**
 * Makes a {@link BackgroundService} a cluster singleton (leader election): of all replicas running
 * it with the same `name` on locks over the same store, only the one holding the lease runs
 * `execute`; the others wait to take over.
 *
 * - The service campaigns with `lock.acquire(name, ...)` on its stopping signal, then calls
 *   `execute` with a signal that aborts when the host stops OR the lease is lost. Read the fencing
 *   token from {@link BackgroundService.clusterLease} and pass it to resources that can check it.
 * - While it waits for the lease, {@link BackgroundService.status} is `campaigning`: health and
 *   status pages tell a follower from the leader.
 * - Losing the lease is not a fault: it is logged at warn, and the service campaigns again.
 * - `execute` releasing the lease itself (`clusterLease.release()`, e.g. because a resource refused
 *   its fencing token) steps down: the service waits `retryIntervalMs`, then campaigns again.
 * - `execute` returning while the lease is held completes the service and releases the lease.
 * - On stop, the lease is released once `execute` has settled, so another replica takes over
 *   within its retry interval instead of after the lease's time-to-live. A replica that dies
 *   without releasing is replaced once its lease expires: within `leaseTtlMs`.
 * - The restart policy applies to real faults of `execute` (the lease is released before the backoff).
 *   Its `resetAfter` counts only the time `execute` ran as leader since the last acquisition: a
 *   replica that campaigned for an hour and faulted at once has not run well for an hour.
 */
export interface ClusterSingletonOptions {
  /** The lock on the store the replicas share. */
  readonly lock: DistributedLock;
  /** The lease's name: the same on every replica of this service, and unique to it. */
  readonly name: string;
  /** The lease's time-to-live: how long a dead leader blocks the others, at most. @default 15000 */
  readonly leaseTtlMs?: number | undefined;
  /** The longest wait between two campaigns of a follower. @default leaseTtlMs / 3 */
  readonly retryIntervalMs?: number | undefined;
}

/**
 * Where a {@link BackgroundService} is in its life:
 * - `idle`: not started;
 * - `campaigning`: a cluster singleton waiting for its lease (a follower); `execute` is not running;
 * - `running`: `execute` is running (for a cluster singleton: as the leader);
 * - `restarting`: `execute` faulted and the restart policy is waiting to call it again;
 * - `completed`: `execute` resolved, or stop cancelled it (it rejected with its own cancellation,
 *   or stop came during a restart's backoff);
 * - `faulted`: `execute` rejected with anything else and no restart is left; see {@link BackgroundService.fault}.
 */
export type BackgroundServiceStatus = 'idle' | 'campaigning' | 'running' | 'restarting' | 'completed' | 'faulted';

/**
 * What a host gives each background service it runs. Internal: the key is not exported from the
 * package.
 */
export interface BackgroundServiceHostContext {
  readonly name: string;
  readonly timeProvider: TimeProvider;
  readonly logger: Logger;
  /** Called on every change of {@link BackgroundService.status}, e.g. to publish it to health checks. */
  readonly onStatusChange?: ((service: BackgroundService) => void) | undefined;
  /**
   * The reason `stopping` aborts with when the host stops the service: one per host stop, shared
   * by its services (the stop's cause is the host's, and an error object per service costs a
   * stack capture each: measurable with thousands of services).
   */
  readonly stopReason?: (() => unknown) | undefined;
}

/**
 * The clock a service runs on: its `options.timeProvider`, else its host's, else
 * `systemTimeProvider`. For subclasses in core (the scheduled service) that need the same clock as
 * the restarts; internal, not exported from the package. Set by the class's static block.
 */
export let serviceTimeProvider: (service: BackgroundService) => TimeProvider;

/** The logger a service logs to: its `options.logger`, else its host's, else `nullLogger`. Internal, as {@link serviceTimeProvider}. */
export let serviceLogger: (service: BackgroundService) => Logger;

/** The span of the current `execute` run of a service, for the spans of its ticks to link to. Internal, as {@link serviceTimeProvider}. */
export let serviceExecuteSpan: (service: BackgroundService) => SpanContext | undefined;

/** The name a service is known by: its host's name for it, else its class name. Internal, as {@link serviceTimeProvider}. */
export let serviceName: (service: BackgroundService) => string;

/** What each service was given by the host that runs it. */
const hostContexts = new WeakMap<BackgroundService, BackgroundServiceHostContext>();

/**
 * Hands `context` to `service`: called by the host when it resolves the service, before
 * `start`. The context supplies the name, and the clock and logger the service's options left
 * unset. Internal: not exported from the package.
 */
export function attachToHost(service: BackgroundService, context: BackgroundServiceHostContext): void {
  hostContexts.set(service, context);
}

/**
 * A hosted service that runs one long task, {@link execute}, from start to stop: a queue
 * consumer, a periodic job. The port of .NET's `BackgroundService`.
 *
 * ```ts
 * class Cleanup extends BackgroundService {
 *   readonly #time: TimeProvider;
 *   constructor(time: TimeProvider) {
 *     super({ restartPolicy: { maxAttempts: 5 } });
 *     this.#time = time;
 *   }
 *   protected override async execute(stopping: AbortSignal): Promise<void> {
 *     using timer = new PeriodicTimer(3_600_000, { timeProvider: this.#time });
 *     while (await timer.waitForNextTick(stopping)) await cleanUp(stopping);
 *   }
 * }
 * ```
 *
 * - {@link start} never waits for `execute`: a loop that never ends must not hold up the other
 *   services (the most-reported .NET pitfall until .NET 10).
 * - `execute` is always called once started, even when {@link stop} comes straight after
 *   {@link start} (.NET 10 skipped it then): it then sees an aborted signal and should return.
 * - {@link stop} aborts `stopping`, then waits for `execute` to settle, or for its own signal,
 *   whichever comes first. It never rethrows what `execute` rejected with: the host watches
 *   {@link executeTask} for faults, logs them and applies `backgroundServiceExceptionBehavior`.
 * - `execute` rejecting with its stop signal's reason (or another cancellation error, see
 *   `isCancellation`) once `stopping` has aborted is a clean stop, not a fault.
 * - With a {@link RestartPolicy}, a fault restarts `execute` after a backoff measured on the host's
 *   TimeProvider; each restart is logged with its attempt number and delay; a stop during the
 *   backoff ends it at once.
 */
export abstract class BackgroundService implements HostedService, Disposable {
  readonly #restartPolicy: ResolvedRestartPolicy | undefined;
  readonly #timeProvider: TimeProvider | undefined;
  readonly #logger: Logger | undefined;
  readonly #clusterSingleton: ClusterSingletonOptions | undefined;
  #clusterLease: Lease | undefined = undefined;
  #stoppingController: AbortController | undefined = undefined;
  #executeTask: Promise<void> | undefined = undefined;
  #status: BackgroundServiceStatus = 'idle';
  #fault: unknown = undefined;
  #restarts = 0;
  /** When `execute` last started running (for a cluster singleton: as leader); undefined while campaigning. */
  #runningSince: number | undefined = undefined;
  /** The span of the current `execute` run; undefined when nothing is traced. */
  #executeSpan: Span | undefined = undefined;

  /**
   * Creates the service; the options add a restart policy or make it a cluster singleton.
   * @throws RangeError or TypeError when `options.restartPolicy` has a bad value (see
   * {@link RestartPolicy}), or `options.clusterSingleton` has (no lock, an empty name, a ttl
   * that is not finite and > 0).
   */
  constructor(options: BackgroundServiceOptions = {}) {
    this.#restartPolicy = options.restartPolicy === undefined ? undefined : resolveRestartPolicy(options.restartPolicy);
    this.#timeProvider = options.timeProvider;
    this.#logger = options.logger;
    this.#clusterSingleton = options.clusterSingleton === undefined ? undefined : checkClusterSingleton(options.clusterSingleton);
  }

  /**
   * The lease this replica holds while it is the cluster singleton's leader (see
   * {@link BackgroundServiceOptions.clusterSingleton}), for its fencing token; `undefined` while
   * campaigning, and always without that option.
   */
  get clusterLease(): Lease | undefined {
    return this.#clusterLease;
  }

  static {
    serviceTimeProvider = (service) => service.#timeProvider ?? hostContexts.get(service)?.timeProvider ?? systemTimeProvider;
    serviceLogger = (service) => service.#log();
    serviceExecuteSpan = (service) => service.#executeSpan?.spanContext();
    serviceName = (service) => service.#displayName();
  }

  /**
   * The work of the service, called once by {@link start} (again after each fault under a
   * {@link RestartPolicy}). Run until `stopping` aborts, then return (or reject with
   * `stopping.reason`, which is what an awaited `delay(ms, stopping)` does).
   * @param stopping Aborted when the host stops the service (or it is disposed). Pass it to every
   * wait and every I/O call, so the stop is prompt.
   */
  protected abstract execute(stopping: AbortSignal): Promise<void>;

  /**
   * The running execution, from {@link start} on: resolves when `execute` returns or is cancelled
   * by stop; rejects with the final fault. Already handled, so it never becomes an unhandled
   * rejection; await it to observe the fault. `undefined` until started.
   */
  get executeTask(): Promise<void> | undefined {
    return this.#executeTask;
  }

  /** Where the service is in its life; see {@link BackgroundServiceStatus}. */
  get status(): BackgroundServiceStatus {
    return this.#status;
  }

  /**
   * What `execute` last rejected with (not counting its own cancellation): the final fault when
   * {@link status} is `faulted`, the fault being recovered from when it is `restarting`.
   */
  get fault(): unknown {
    return this.#fault;
  }

  /** How many times the restart policy has restarted `execute`. */
  get restarts(): number {
    return this.#restarts;
  }

  /**
   * Called by the host once when it starts the service: launches {@link execute} and resolves at
   * once, without waiting for it.
   * @param _signal The start signal. Not used: there is nothing to abandon, execute runs on.
   * @throws Error (as a rejection) when the service was already started.
   */
  start(_signal: AbortSignal): Promise<void> {
    if (this.#executeTask !== undefined) {
      return Promise.reject(new Error(`Background service ${this.#displayName()} was already started; a service runs once.`));
    }
    this.#stoppingController = new AbortController();
    const task = this.#run(this.#stoppingController.signal);
    // Marks the task as handled, so a fault is never an unhandled rejection: the host (or
    // whoever awaits executeTask) observes it. This derived promise itself cannot reject.
    void task.catch(ignore);
    this.#executeTask = task;
    return Promise.resolve();
  }

  /**
   * Called by the host once when it stops the service: aborts `stopping`, then waits for
   * {@link execute} to settle. Resolves however `execute` ended (its fault is the host's to
   * report, through {@link executeTask}); resolves at once if the service never started.
   * @param signal Aborted when the shutdown budget is spent: stop then rejects with
   * `signal.reason` straight away and leaves `execute` running, abandoned.
   */
  async stop(signal: AbortSignal): Promise<void> {
    const task = this.#executeTask;
    if (task === undefined) return;
    const controller = this.#stoppingController;
    if (controller !== undefined && !controller.signal.aborted) {
      controller.abort(hostContexts.get(this)?.stopReason?.() ?? createAbortError(`Background service ${this.#displayName()} is stopping`));
    }
    if (signal.aborted) {
      // oxlint-disable-next-line typescript/only-throw-error -- the abort reason is rethrown as is, as AbortSignal.throwIfAborted does.
      throw signal.reason;
    }
    // Waits for execute to settle either way (its error is the host monitor's to report, not
    // stop's), or rejects with the stop signal's reason if the budget runs out first.
    await raceSignal(task.then(ignore, ignore), signal);
  }

  /**
   * Aborts `stopping`, so a service disposed without being stopped (its DI container was disposed)
   * does not run on. Does not wait for `execute`.
   */
  [Symbol.dispose](): void {
    const controller = this.#stoppingController;
    if (controller === undefined || controller.signal.aborted) return;
    controller.abort(createAbortError(`Background service ${this.#displayName()} was disposed`));
  }

  async #run(stopping: AbortSignal): Promise<void> {
    // Lets start() return before execute runs, so even execute's synchronous part does not
    // hold up start; and execute is called even if stop() came meanwhile.
    await Promise.resolve();
    const time = this.#timeProvider ?? hostContexts.get(this)?.timeProvider ?? systemTimeProvider;
    const logger = this.#log();
    const policy = this.#restartPolicy;
    const name = this.#displayName();
    observeService(this, name);
    let attempt = 0;
    for (;;) {
      const singleton = this.#clusterSingleton;
      this.#runningSince = undefined;
      try {
        if (singleton === undefined) {
          this.#setStatus('running');
          this.#runningSince = time.timestamp();
          this.#executeSpan = startExecuteSpan(name);
          await this.execute(stopping);
          this.#endExecuteSpan();
        } else {
          await this.#executeAsLeader(singleton, stopping, logger, time);
        }
        this.#setStatus('completed');
        return;
      } catch (error) {
        if (stopping.aborted && isCancellation(error, stopping)) {
          this.#endExecuteSpan();
          this.#setStatus('completed');
          return;
        }
        this.#fault = error;
        const ranFor = this.#runningSince === undefined ? 0 : time.elapsedSince(this.#runningSince);
        if (policy !== undefined && policy.resetAfter !== undefined && ranFor >= policy.resetAfter) {
          attempt = 0;
        }
        // No restart once stopping: the fault happened on the way out.
        if (policy === undefined || stopping.aborted || attempt >= policy.maxAttempts) {
          if (policy !== undefined && policy.maxAttempts > 0 && !stopping.aborted) {
            logger.error(`Background service ${this.#displayName()} faulted after ${attempt} restart${attempt === 1 ? '' : 's'}; giving up`, {
              event: HostLogEvents.BackgroundServiceRestartsExhausted,
              error,
              service: this.#displayName(),
              attempts: attempt,
            });
          }
          this.#endExecuteSpan({ error });
          this.#setStatus('faulted');
          throw error;
        }
        attempt += 1;
        const delay = restartDelay(policy, attempt);
        this.#endExecuteSpan({ error, restart: { attempt, delay } });
        this.#setStatus('restarting');
        logger.warn(
          `Background service ${this.#displayName()} faulted; restarting in ${delay} ms (attempt ${attempt} of ${policy.maxAttempts})`,
          { event: HostLogEvents.BackgroundServiceRestarting, error, service: this.#displayName(), attempt, delay },
        );
        try {
          await time.delay(delay, stopping);
        } catch {
          // Stopped during the backoff: the fault was logged above; the stop ends the service cleanly.
          this.#setStatus('completed');
          return;
        }
        this.#restarts += 1;
        countRestart(name);
      }
    }
  }

  /**
   * Runs `execute` while holding the cluster singleton's lease, in this order: campaign until the
   * lease is acquired (or `stopping` aborts); run `execute` with a signal linked to `stopping` and
   * to the lease; release the lease once `execute` has settled. When the lease was lost meanwhile
   * (and the service is not stopping), `execute`'s outcome is the loss, not a fault: campaign again.
   */
  async #executeAsLeader(singleton: ClusterSingletonOptions, stopping: AbortSignal, logger: Logger, time: TimeProvider): Promise<void> {
    const ttlMs = singleton.leaseTtlMs ?? defaultLeaseTtlMs;
    const retryIntervalMs = singleton.retryIntervalMs ?? ttlMs / 3;
    for (;;) {
      this.#runningSince = undefined;
      this.#setStatus('campaigning');
      const lease = await singleton.lock.acquire(
        singleton.name,
        { ttlMs, retryIntervalMs: singleton.retryIntervalMs },
        stopping,
      );
      this.#clusterLease = lease;
      this.#runningSince = time.timestamp();
      this.#executeSpan = startExecuteSpan(this.#displayName(), {
        [TelemetryNames.LeaseName]: singleton.name,
        [TelemetryNames.LeaseFencingToken]: lease.fencingToken,
      });
      leaseEvent(this.#executeSpan, 'acquired', singleton.name, lease.fencingToken);
      this.#setStatus('running');
      logger.info(`Background service ${this.#displayName()} is the leader of "${singleton.name}" (fencing token ${lease.fencingToken})`, {
        event: HostLogEvents.ClusterLeaderElected,
        service: this.#displayName(),
        lease: singleton.name,
        fencingToken: lease.fencingToken,
      });
      const link = CancellationSource.linked([stopping, lease.signal]);
      let outcome: unknown = undefined;
      let failed = false;
      let releasedByExecute = false;
      try {
        await this.execute(link.signal);
      } catch (error) {
        failed = true;
        outcome = error;
      } finally {
        link.dispose();
        this.#clusterLease = undefined;
        releasedByExecute = lease.signal.reason instanceof LeaseReleasedError;
        // After execute has settled, so the next leader never overlaps with this one's work.
        await lease.release();
      }
      if (releasedByExecute && !stopping.aborted && (!failed || isCancellation(outcome, lease.signal))) {
        logger.info(`Background service ${this.#displayName()} stepped down from "${singleton.name}"; campaigning again in ${retryIntervalMs} ms`, {
          service: this.#displayName(),
          lease: singleton.name,
          fencingToken: lease.fencingToken,
        });
        this.#endExecuteSpan();
        this.#setStatus('campaigning');
        await time.delay(retryIntervalMs, stopping);
        continue;
      }
      const lost = lease.signal.reason instanceof LeaseLostError && !stopping.aborted;
      if (lost) {
        leaseEvent(this.#executeSpan, 'lost', singleton.name, lease.fencingToken);
        this.#endExecuteSpan();
        logger.warn(`Background service ${this.#displayName()} lost the lease "${singleton.name}"; campaigning again`, {
          event: HostLogEvents.ClusterLeaseLost,
          service: this.#displayName(),
          lease: singleton.name,
          fencingToken: lease.fencingToken,
          error: failed ? outcome : lease.signal.reason,
        });
        continue;
      }
      // oxlint-disable-next-line typescript/only-throw-error -- execute's rejection is rethrown as is, for #run to judge (which ends the span).
      if (failed) throw outcome;
      this.#endExecuteSpan();
      return;
    }
  }

  /** Ends the current execute run's span, if any: cleanly, or with its fault (and the restart that follows). */
  #endExecuteSpan(outcome?: Parameters<typeof endExecuteSpan>[1]): void {
    const span = this.#executeSpan;
    this.#executeSpan = undefined;
    endExecuteSpan(span, outcome);
  }

  #setStatus(status: BackgroundServiceStatus): void {
    if (this.#status === status) return;
    this.#status = status;
    try {
      hostContexts.get(this)?.onStatusChange?.(this);
    } catch (error) {
      // A broken observer must not take the service down with it.
      this.#log().error(`A status observer of background service ${this.#displayName()} threw`, { error });
    }
  }

  #log(): Logger {
    return this.#logger ?? hostContexts.get(this)?.logger ?? nullLogger;
  }

  #displayName(): string {
    return hostContexts.get(this)?.name ?? nameOf(this);
  }
}

const defaultLeaseTtlMs = 15_000;

function checkClusterSingleton(options: ClusterSingletonOptions): ClusterSingletonOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected clusterSingleton to be an object with lock and name, got ${describeValue(options)}`);
  }
  const lock = options.lock as unknown;
  if (typeof lock !== 'object' || lock === null || typeof (lock as DistributedLock).acquire !== 'function') {
    throw new TypeError(`Expected clusterSingleton.lock to be a DistributedLock, got ${describeValue(lock)}`);
  }
  checkLeaseKey('clusterSingleton.name', options.name);
  if (options.leaseTtlMs !== undefined) checkPositiveMs('clusterSingleton.leaseTtlMs', options.leaseTtlMs);
  if (options.retryIntervalMs !== undefined) checkPositiveMs('clusterSingleton.retryIntervalMs', options.retryIntervalMs);
  return { ...options };
}

function ignore(): void {
  // Observed through executeTask by the host.
}
