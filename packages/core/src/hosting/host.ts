import { createAbortError } from '../cancellation/abort-errors.ts';
import { recordHostExitCode, recordHostPhase } from '../telemetry/host-telemetry.ts';
import { onAbort } from '../cancellation/abort-fanout.ts';
import { CancellationSource } from '../cancellation/cancellation-source.ts';
import { isCancellation } from '../cancellation/is-cancellation.ts';
import { whenAborted } from '../cancellation/when-aborted.ts';
import { ObjectDisposedError } from '../dependency-injection/object-disposed-error.ts';
import type { ServiceProvider } from '../dependency-injection/service-provider.ts';
import type { ServiceToken } from '../dependency-injection/token.ts';
import type { HealthStatusBoard } from '../health/health-status-board.ts';
import type { Logger } from '../logging/logger.ts';
import type { LoggerFactory } from '../logging/logger-factory.ts';
import type { TimeProvider } from '../time/time-provider.ts';
import type { ApplicationLifetime } from './application-lifetime.ts';
import { attachToHost, BackgroundService } from './background-service.ts';
import { describeValue } from '../internal/describe-value.ts';
import { HostApplicationBuilder, type HostApplicationBuilderOptions } from './host-application-builder.ts';
import type { HostApplicationLifetime } from './host-application-lifetime.ts';
import type { HostLifetime, HostRunOutcome } from './host-lifetime.ts';
import { HostLogEvents } from './host-log-events.ts';
import type { ResolvedHostOptions } from './host-options.ts';
import { HostShutdownTimeoutError } from './host-shutdown-timeout-error.ts';
import { isHostedService, type HostedService, type LifecycleHook } from './hosted-service.ts';

/**
 * Where a {@link Host} is in its life. It only moves forward: a host starts once and stops once.
 * - `created`: built, not started;
 * - `starting`: {@link Host.start} is running;
 * - `started`: every service started; the host runs;
 * - `stopping`: the stop sequence is running (after a stop request, or a failed start);
 * - `stopped`: every service stopped (or was abandoned);
 * - `disposed`: the DI container has been disposed; the host can no longer be used.
 */
export type HostPhase = 'created' | 'starting' | 'started' | 'stopping' | 'stopped' | 'disposed';

/** One hosted service as registered: the DI token it is resolved by, and its name for logs. */
export interface HostedServiceDescriptor {
  /** The DI token the host resolves the service by. */
  readonly token: ServiceToken<HostedService>;
  /** The log category of the service and its name in messages: the token's or class's name. */
  readonly name: string;
}

/**
 * What a {@link Host} is made of. `HostApplicationBuilder.build()` assembles it; construct a host
 * from parts only to embed one in a framework that builds its own container.
 */
export interface HostParts {
  /** The built container; the host disposes it last. */
  readonly services: ServiceProvider;
  /** The hosted services, in registration order (their start order). */
  readonly hostedServices: readonly HostedServiceDescriptor[];
  /** Waits for the start and the stop request (signals, a test's hand) and reports the outcome. */
  readonly lifetime: HostLifetime;
  /** The events and `stopApplication()` that the application sees. */
  readonly applicationLifetime: HostApplicationLifetime;
  /** Timeouts and policies of the start and the stop, checked. */
  readonly options: ResolvedHostOptions;
  /** The clock of the host's timeouts and of its services. */
  readonly timeProvider: TimeProvider;
  /** Makes the loggers of the host and its services. */
  readonly loggerFactory: LoggerFactory;
  /** Where the host publishes faulted services and readiness for the health checks. */
  readonly health: HealthStatusBoard;
}

/** One hosted service, resolved. */
interface Entry {
  readonly name: string;
  readonly service: HostedService;
  readonly logger: Logger;
}

/** How one call made during stop ended, within the stop budget. */
type Settled = { readonly kind: 'done' } | { readonly kind: 'failed'; readonly error: unknown } | { readonly kind: 'abandoned' };

/** The phases a stop runs through, in the words of the log. */
type StopStep = 'stopping' | 'stop' | 'stopped';

/**
 * What a stop gave up on, in stop order: `blocking` were under way when the budget ran out;
 * `askedTooLate` were called only once it was spent (with an aborted signal) and did not settle at once.
 */
interface Abandoned {
  readonly blocking: string[];
  readonly askedTooLate: string[];
  readonly all: string[];
}

/**
 * The host: starts the hosted services, keeps them running, stops them in reverse order and
 * disposes the DI container; the port of .NET's generic host (`Microsoft.Extensions.Hosting`).
 *
 * ```ts
 * const builder = Host.createApplicationBuilder({ lifetime }); // a runtime adapter's lifetime, in a main
 * builder.services.addHostedService(Cleanup, [ServiceScopeFactory, TimeProviderToken], (scopes, time) => new Cleanup(scopes, time));
 * await builder.build().run(); // start, wait for a signal or stopApplication(), stop, dispose
 * ```
 *
 * Where hostkit deliberately differs from .NET (each one a known pain of the original):
 * - a failed start stops, in reverse, the services that had started before rethrowing;
 * - a service that does not stop within `shutdownTimeout` is abandoned and named in the log and
 *   in the error `stop()` rejects with (.NET waits for it forever);
 * - a background service that faults with `stopHost` makes `run()` reject, so the exit code says so;
 * - readiness (the `hostkit.readiness` health check) turns false as soon as a stop is asked for;
 * - a stop asked for while starting cancels the start, and a start that hangs is abandoned too;
 * - `shutdownTimeout` cannot be infinite.
 */
export class Host implements AsyncDisposable {
  /** The DI container of the application. Disposed by {@link dispose}, last. */
  readonly services: ServiceProvider;
  /** The application lifetime (also resolvable as `ApplicationLifetimeToken`). */
  readonly applicationLifetime: ApplicationLifetime;
  /** The options in force. */
  readonly options: ResolvedHostOptions;

  readonly #parts: HostParts;
  readonly #logger: Logger;
  #phase: HostPhase = 'created';
  /** The hosted services, resolved by start, in registration order. */
  #entries: readonly Entry[] = [];
  /** Services whose `starting` hook or `start` was called: they get the stop hooks. */
  readonly #entered = new Set<Entry>();
  /** Services whose `start` resolved: they get `stop`. */
  readonly #started = new Set<Entry>();
  /** Whether the host lifetime's `waitForStart` was called: it then gets `stop`. */
  #lifetimeEntered = false;
  /** Aborted by a `stop()` that comes while starting, to cancel the start. */
  readonly #startAbort = new AbortController();
  /** How the start failed, and whether only because a stop was asked for while starting. */
  #startFailure: { readonly error: unknown; readonly cancelledByStop: boolean } | undefined = undefined;
  /** What the start is waiting for right now, by name: named as abandoned if a stop gives up on it. */
  readonly #pendingStart = new Set<string>();
  /** The budget of a stop() that came while starting, shared with the stop the cancelled start runs. */
  #stopBudgetDuringStart: CancellationSource | undefined = undefined;
  /** What the background services' `stopping` signals abort with: made once, at the first stop. */
  #stopReason: DOMException | undefined = undefined;
  /** The first fault of a background service under `stopHost`: what `run()` rejects with. */
  #backgroundFault: { readonly error: unknown } | undefined = undefined;
  #startPromise: Promise<void> | undefined = undefined;
  /** The stop sequence, run once, by a stop or by a failed start. */
  #stopSequence: Promise<void> | undefined = undefined;
  /** What every `stop()` call returns. */
  #stopCall: Promise<void> | undefined = undefined;
  #disposePromise: Promise<void> | undefined = undefined;

  /** Use {@link Host.createApplicationBuilder}; see {@link HostParts}. */
  constructor(parts: HostParts) {
    this.#parts = parts;
    this.services = parts.services;
    this.applicationLifetime = parts.applicationLifetime;
    this.options = parts.options;
    this.#logger = parts.loggerFactory.createLogger('hostkit.Host');
    // Readiness turns false the moment anyone asks the application to stop, before stop() runs:
    // load balancers then stop sending work while the services drain.
    parts.applicationLifetime.onStopping(() => {
      parts.health.markStopping();
    });
  }

  /**
   * Starts building a host with hostkit's defaults: console logging, the system clock, the
   * runtime-free lifetime unless `options.lifetime` gives the adapter's.
   */
  static createApplicationBuilder(options?: HostApplicationBuilderOptions): HostApplicationBuilder {
    return new HostApplicationBuilder(options);
  }

  /**
   * The host lifetime the host was built with: the runtime's console lifetime in a `main`, or
   * `EmbeddedHostLifetime` by default. Read by a runtime adapter's `runMain` to tell a host
   * that already owns its process from one that needs a console lifetime attached around its run.
   */
  get lifetime(): HostLifetime {
    return this.#parts.lifetime;
  }

  /** Where the host is in its life. */
  get phase(): HostPhase {
    return this.#phase;
  }

  /**
   * Starts the host, in this order, each step a barrier:
   * 1. resolve every hosted service, in registration order (a bad registration fails here,
   *    before anything runs);
   * 2. the host lifetime's `waitForStart` (signal handlers installed, the process held open);
   * 3. the `starting` hook of every lifecycle service;
   * 4. `start` on every hosted service, in registration order (all at once with
   *    `servicesStartConcurrently`); background services begin to be watched for faults;
   * 5. the `started` hook of every lifecycle service;
   * 6. the application lifetime's `started` (callback errors logged, never thrown); readiness
   *    turns true.
   *
   * Sequential start stops at the first failure; concurrent start attempts every service of the
   * phase and collects the failures. Either way the services that had started are then stopped
   * in reverse (with the rest of the stop sequence: hooks, lifetime events, host lifetime), and
   * start rejects with the one error as is, or an `AggregateError`.
   * @param signal Abandons the start when aborted (cooperatively: the phases get a signal that
   * aborts, and no further service is started). The start signal also aborts on
   * `startupTimeout`, on `stopApplication()` and on a `stop()` called while starting.
   * @throws ObjectDisposedError (as a rejection) when the host was disposed.
   * @throws Error (as a rejection) when the host was already started or stopped.
   */
  start(signal?: AbortSignal): Promise<void> {
    if (this.#disposePromise !== undefined) return Promise.reject(new ObjectDisposedError('host'));
    if (this.#startPromise !== undefined) {
      return Promise.reject(new Error(`Host.start() was already called (the host is ${this.#phase}); a host starts once.`));
    }
    if (this.#phase !== 'created') {
      return Promise.reject(new Error(`Host.start() was called on a host that is ${this.#phase}; a host starts once.`));
    }
    this.#startPromise = this.#start(signal);
    return this.#startPromise;
  }

  /**
   * Stops the host, in this order, each step waiting for the previous:
   * 1. readiness turns false; the `stopping` hook of every lifecycle service, in reverse
   *    registration order; then the application lifetime's `stopping` (unless `stopApplication()`
   *    fired it already);
   * 2. `stop` on every hosted service that started, in REVERSE registration order (all at once
   *    with `servicesStopConcurrently`);
   * 3. the `stopped` hooks, in reverse order; then the application lifetime's `stopped`;
   * 4. the host lifetime's `stop` (signal handlers removed, the process released).
   * The DI container is disposed afterwards, by {@link dispose} (which `run()` calls): last, so the
   * logger outlives the services, and services stay resolvable between stop and dispose.
   *
   * Never aborts early: every service is asked to stop whatever the others did, and every error
   * is collected; stop rejects at the end with the one error as is, or an `AggregateError`.
   * Every call is raced against one budget, `shutdownTimeout` for the whole stop: what has not
   * settled when it runs out is abandoned, logged by name (`HostedServicesAbandoned`) and named by
   * a `HostShutdownTimeoutError` among the errors. A service that rejects with the cancellation
   * of its stop signal once the budget ran out is abandoned, not failed, and never logged as an
   * error.
   *
   * - Before {@link start}: only fires the application lifetime's `stopping` and `stopped`.
   * - While starting: cancels the start, waits for it to settle (a cancelled start stops what it
   *   had started) within the same budget, then stops; a start that ignores the cancellation is
   *   abandoned when the budget runs out.
   * - Called again, or concurrently: returns the same promise, with the same outcome.
   * @param signal Cuts the shutdown short when aborted, like `shutdownTimeout` running out.
   * @throws ObjectDisposedError (as a rejection) when the host was disposed before any stop.
   */
  stop(signal?: AbortSignal): Promise<void> {
    if (this.#stopCall !== undefined) return this.#stopCall;
    if (this.#disposePromise !== undefined) return Promise.reject(new ObjectDisposedError('host'));
    this.#stopCall = this.#stop(signal);
    return this.#stopCall;
  }

  /**
   * Waits until the application is asked to stop (`stopApplication()`, a signal handled by the
   * host lifetime, a faulted background service, `signal`), then stops the host.
   * @param signal Asks the application to stop when aborted.
   * @throws ObjectDisposedError (as a rejection) when the host was disposed.
   */
  async waitForShutdown(signal?: AbortSignal): Promise<void> {
    if (this.#disposePromise !== undefined) throw new ObjectDisposedError('host');
    const stopOnAbort = (): void => {
      this.applicationLifetime.stopApplication();
    };
    signal?.addEventListener('abort', stopOnAbort, { once: true });
    try {
      if (signal?.aborted === true) stopOnAbort();
      await whenAborted(this.applicationLifetime.stopping);
    } finally {
      signal?.removeEventListener('abort', stopOnAbort);
    }
    await this.stop();
  }

  /**
   * Runs the application: {@link start} (unless `start()` was called already), wait until the
   * application is asked to stop, {@link stop}, {@link dispose}; then tells the host lifetime how
   * it ended (its exit code). A stop asked for while starting cancels the start and ends the run.
   *
   * Resolves on a clean stop, including when the stop was asked for while starting. Rejects when
   * the start failed, a background service faulted with `backgroundServiceExceptionBehavior:
   * 'stopHost'` (with that fault), or the stop or the disposal failed or timed out: with the one
   * error as is, or an `AggregateError` of them, the fault first. The lifetime then reports exit
   * code 1.
   * @param signal Asks the application to stop when aborted, like `stopApplication()`.
   * @throws ObjectDisposedError (as a rejection) when the host was disposed.
   */
  async run(signal?: AbortSignal): Promise<void> {
    if (this.#disposePromise !== undefined) throw new ObjectDisposedError('host');
    const errors: unknown[] = [];
    const stopOnAbort = (): void => {
      this.applicationLifetime.stopApplication();
    };
    signal?.addEventListener('abort', stopOnAbort, { once: true });
    try {
      if (signal?.aborted === true) stopOnAbort();
      const stopping = this.applicationLifetime.stopping;
      // Start, unless a stop was asked for already; stop waiting for a start that a stop request
      // overtakes: stop() cancels it, and waits for it only as long as the shutdown budget lasts.
      const start = stopping.aborted ? undefined : await settleWithin(() => this.#startPromise ?? this.start(), stopping);
      if (start?.kind === 'done') await whenAborted(stopping);
      let stopError: { readonly error: unknown } | undefined;
      try {
        await this.stop();
      } catch (error) {
        stopError = { error };
      }
      const startFailure = this.#startFailure ?? (start?.kind === 'failed' ? { error: start.error, cancelledByStop: false } : undefined);
      // A start cancelled because a stop was asked for is a clean, if short, run.
      if (startFailure !== undefined && !startFailure.cancelledByStop) errors.push(startFailure.error);
      if (stopError !== undefined) errors.push(stopError.error);
    } finally {
      signal?.removeEventListener('abort', stopOnAbort);
    }
    try {
      await this.dispose();
    } catch (error) {
      this.#logger.error('The DI container failed to dispose', { event: HostLogEvents.ServicesDisposeFaulted, error });
      errors.push(error);
    }
    if (this.#backgroundFault !== undefined) errors.unshift(this.#backgroundFault.error);
    const error = combine(errors, 'The host run failed');
    const outcome: HostRunOutcome = error === undefined ? { exitCode: 0 } : { exitCode: 1, error };
    recordHostExitCode(outcome.exitCode);
    try {
      this.#parts.lifetime.complete?.(outcome);
    } catch (completeError) {
      this.#logger.error('The host lifetime failed to record the outcome of the run', { error: completeError });
    }
    // oxlint-disable-next-line typescript/only-throw-error -- rethrows what a service threw, as it is.
    if (error !== undefined) throw error;
  }

  /**
   * Disposes the host: a host that started and has not stopped is stopped first (its errors are
   * logged, not thrown: nothing started is left running), then the DI container is disposed,
   * last, so the logger outlives the services. Idempotent.
   * @throws the container's disposal errors (one as is, several as `AggregateError`).
   */
  dispose(): Promise<void> {
    this.#disposePromise ??= this.#dispose();
    return this.#disposePromise;
  }

  /** {@link dispose}, for `await using host = builder.build()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  async #start(callerSignal: AbortSignal | undefined): Promise<void> {
    const { options, timeProvider, applicationLifetime } = this.#parts;
    this.#phase = 'starting';
    this.#logger.debug('Hosting starting', { event: HostLogEvents.Starting });
    const timeout = options.startupTimeout === undefined ? undefined : new CancellationSource({ timeProvider, delay: options.startupTimeout });
    const onTimeout = (): void => {
      this.#logger.error(`The host did not start within startupTimeout (${options.startupTimeout} ms); the start is being cancelled`, {
        event: HostLogEvents.StartupTimedOut,
        timeout: options.startupTimeout,
      });
    };
    timeout?.signal.addEventListener('abort', onTimeout, { once: true });
    const start = CancellationSource.linked([callerSignal, this.#startAbort.signal, applicationLifetime.stopping, timeout?.signal]);
    const began = timeProvider.timestamp();
    try {
      await this.#runStart(start.signal);
      recordHostPhase('start', began, timeProvider.timestamp());
    } catch (error) {
      recordHostPhase('start', began, timeProvider.timestamp(), error);
      const cancelledByStop =
        start.signal.aborted &&
        (Object.is(start.signal.reason, applicationLifetime.stopping.reason) || Object.is(start.signal.reason, this.#startAbort.signal.reason)) &&
        isCancellation(error, start.signal);
      this.#startFailure = { error, cancelledByStop };
      // Nothing started is left running: stop what did start, then report the start's failure.
      // The stop's own errors are logged by the stop sequence and returned by stop(). A stop()
      // that cancelled this start lends its budget; otherwise the stop gets one of its own.
      const budget = this.#stopBudgetDuringStart ?? this.#createStopBudget(undefined);
      try {
        await this.#runStopSequenceOnce(budget.signal);
      } catch {
        // Logged as StoppedWithException; stop() and run() report it.
      } finally {
        if (budget !== this.#stopBudgetDuringStart) budget.dispose();
      }
      throw error;
    } finally {
      timeout?.signal.removeEventListener('abort', onTimeout);
      timeout?.dispose();
      start.dispose();
    }
  }

  /** The body of {@link start}; see its documentation for the order. */
  async #runStart(signal: AbortSignal): Promise<void> {
    const { lifetime, applicationLifetime, health } = this.#parts;
    // 1. Resolve the hosted services, in registration order, before touching anything.
    try {
      this.#entries = this.#resolveHostedServices();
    } catch (error) {
      this.#logger.error('The host could not resolve its hosted services', { event: HostLogEvents.HostStartFaulted, error });
      throw error;
    }
    // 2. Host lifetime: signal handlers, the handle that keeps the process alive.
    this.#lifetimeEntered = true;
    this.#pendingStart.add('host lifetime (waitForStart)');
    try {
      await lifetime.waitForStart({ applicationLifetime, logger: this.#parts.loggerFactory.createLogger('hostkit.Lifetime') }, signal);
    } catch (error) {
      if (!(signal.aborted && isCancellation(error, signal))) {
        this.#logger.error('The host lifetime failed to start', { event: HostLogEvents.HostStartFaulted, error });
      }
      throw error;
    } finally {
      this.#pendingStart.delete('host lifetime (waitForStart)');
    }
    signal.throwIfAborted();
    // 3. `starting` hooks.
    await this.#startPhase('starting', signal);
    // 4. `start` on each hosted service, in registration order.
    await this.#startPhase('start', signal);
    // 5. `started` hooks.
    await this.#startPhase('started', signal);
    // A start cancelled in its last moments (or one a stop gave up waiting for) must not come
    // back to life as started.
    signal.throwIfAborted();
    // 6. Application lifetime `started`; readiness on.
    this.#phase = 'started';
    applicationLifetime.notifyStarted();
    health.markReady();
    this.#logger.debug('Hosting started', { event: HostLogEvents.Started });
  }

  #resolveHostedServices(): Entry[] {
    const { hostedServices, loggerFactory, timeProvider, health } = this.#parts;
    const seen = new Map<HostedService, string>();
    return hostedServices.map(({ token, name }) => {
      const service: unknown = this.services.get(token);
      if (!isHostedService(service)) {
        throw new TypeError(`Expected hosted service '${name}' to have start and stop methods, got ${describeValue(service)}`);
      }
      const previous = seen.get(service);
      if (previous !== undefined) {
        throw new Error(
          `Hosted services '${previous}' and '${name}' resolve to the same instance, which would be started twice: register it as a hosted service once.`,
        );
      }
      seen.set(service, name);
      const logger = loggerFactory.createLogger(name);
      if (service instanceof BackgroundService) {
        attachToHost(service, {
          name,
          timeProvider,
          logger,
          stopReason: () => (this.#stopReason ??= createAbortError('The host is stopping')),
          onStatusChange: (background) => {
            if (background.status === 'restarting') {
              health.reportDegraded(name, `Restarting after a fault (restart ${background.restarts + 1})`, background.fault);
            } else if (background.status === 'running' || background.status === 'campaigning') {
              health.clear(name);
            }
          },
        });
      }
      return { name, service, logger };
    });
  }

  /**
   * Runs one start phase over the services (the hooks only on services that have them).
   * Sequential: stops at the first failure, and before the next service once `signal` aborted.
   * Concurrent: calls them all and waits for all. Rejects with one error as is, or an AggregateError.
   */
  async #startPhase(step: 'starting' | 'start' | 'started', signal: AbortSignal): Promise<void> {
    const entries = step === 'start' ? this.#entries : this.#entries.filter((entry) => hasHook(entry.service, step));
    const errors: unknown[] = [];
    const failed: string[] = [];
    const startOne = async (entry: Entry): Promise<boolean> => {
      this.#entered.add(entry);
      const began = this.#parts.timeProvider.timestamp();
      if (step === 'start') {
        entry.logger.debug(`Starting hosted service ${entry.name}`, { event: HostLogEvents.HostedServiceStarting, service: entry.name });
      }
      const label = step === 'start' ? `${entry.name} (start)` : `${entry.name} (${step} hook)`;
      this.#pendingStart.add(label);
      try {
        await call(entry.service, step, signal);
      } catch (error) {
        errors.push(error);
        failed.push(entry.name);
        if (signal.aborted && isCancellation(error, signal)) {
          entry.logger.debug(`The ${describeStep(step)} of hosted service ${entry.name} was cancelled`, { service: entry.name });
        } else {
          entry.logger.error(`Hosted service ${entry.name} failed in ${describeStep(step)}`, {
            event: HostLogEvents.HostedServiceStartupFaulted,
            error,
            service: entry.name,
            ...(step !== 'start' && { hook: step }),
          });
        }
        return false;
      } finally {
        this.#pendingStart.delete(label);
      }
      if (step === 'start') {
        this.#started.add(entry);
        this.#watch(entry);
        entry.logger.debug(`Started hosted service ${entry.name}`, {
          event: HostLogEvents.HostedServiceStarted,
          service: entry.name,
          duration: this.#parts.timeProvider.elapsedSince(began),
        });
      }
      return true;
    };
    if (this.options.servicesStartConcurrently) {
      signal.throwIfAborted();
      await Promise.all(entries.map(startOne));
    } else {
      for (const entry of entries) {
        // Cooperative cancellation: a service that ignored the signal finished, but none starts after it.
        signal.throwIfAborted();
        if (!(await startOne(entry))) break;
      }
    }
    const error = combine(errors, `${errors.length} hosted services failed in ${describeStep(step)}: ${failed.join(', ')}`);
    // oxlint-disable-next-line typescript/only-throw-error -- rethrows what a service threw, as it is.
    if (error !== undefined) throw error;
  }

  /** Watches a started background service's `execute` for a fault. */
  #watch(entry: Entry): void {
    const service = entry.service;
    if (!(service instanceof BackgroundService)) return;
    const task = service.executeTask;
    if (task === undefined) return;
    // Not awaited: the watch lasts as long as execute does. The rejection is handled here, and
    // the fulfilment needs nothing, so the chain cannot reject.
    void task.then(undefined, (error: unknown) => {
      this.#onBackgroundFault(entry, error);
    });
  }

  #onBackgroundFault(entry: Entry, error: unknown): void {
    const { options, health, applicationLifetime } = this.#parts;
    entry.logger.error(`Background service ${entry.name} faulted`, {
      event: HostLogEvents.BackgroundServiceFaulted,
      error,
      service: entry.name,
    });
    health.reportFaulted(entry.name, error);
    if (options.backgroundServiceExceptionBehavior === 'ignore') return;
    this.#backgroundFault ??= { error };
    if (applicationLifetime.stopping.aborted) return;
    // The fault and its stack were logged just above: this record only says what follows from it.
    entry.logger.critical(
      `Background service ${entry.name} faulted (${summarizeError(error)}); stopping the host (backgroundServiceExceptionBehavior: 'stopHost')`,
      { event: HostLogEvents.BackgroundServiceStoppingHost, service: entry.name },
    );
    applicationLifetime.stopApplication();
  }

  async #stop(callerSignal: AbortSignal | undefined): Promise<void> {
    const budget = this.#createStopBudget(callerSignal);
    try {
      if (this.#phase === 'starting') {
        // Cancel the start: a cancelled start runs the stop sequence itself, with this budget.
        // A start that ignores the cancellation is waited for only while the budget lasts.
        this.#stopBudgetDuringStart = budget;
        this.#startAbort.abort(createAbortError('The host was stopped while starting'));
        await settleWithin(() => this.#startPromise, budget.signal);
      }
      await this.#runStopSequenceOnce(budget.signal);
    } finally {
      budget.dispose();
    }
  }

  /**
   * The signal of one stop: aborted when `shutdownTimeout` elapses (logged) or the caller's
   * signal aborts. One budget for the whole stop sequence.
   */
  #createStopBudget(callerSignal: AbortSignal | undefined): CancellationSource {
    const { options, timeProvider } = this.#parts;
    const budget = CancellationSource.linked([callerSignal], { timeProvider, delay: options.shutdownTimeout });
    const onAbort = (): void => {
      if (callerSignal?.aborted === true) return;
      this.#logger.error(`The host did not stop within shutdownTimeout (${options.shutdownTimeout} ms); abandoning what is still stopping`, {
        event: HostLogEvents.ShutdownTimedOut,
        timeout: options.shutdownTimeout,
      });
    };
    // The listener goes with the source: nothing else holds the budget's signal for long.
    budget.signal.addEventListener('abort', onAbort, { once: true });
    return budget;
  }

  #runStopSequenceOnce(signal: AbortSignal): Promise<void> {
    this.#stopSequence ??= this.#timedStopSequence(signal);
    return this.#stopSequence;
  }

  /** The stop sequence, with its duration recorded (`hostkit.host.stop.duration`). */
  async #timedStopSequence(signal: AbortSignal): Promise<void> {
    const time = this.#parts.timeProvider;
    const began = time.timestamp();
    try {
      await this.#runStopSequence(signal);
    } catch (error) {
      recordHostPhase('stop', began, time.timestamp(), error);
      throw error;
    }
    recordHostPhase('stop', began, time.timestamp());
  }

  /**
   * The stop sequence, in the order documented at {@link stop}; run once per host, by a stop or by
   * a failed start. Before any start, only the application lifetime's events fire.
   * @param signal The stop budget.
   */
  async #runStopSequence(signal: AbortSignal): Promise<void> {
    const { options, applicationLifetime, health, lifetime } = this.#parts;
    const previous = this.#phase;
    this.#phase = 'stopping';
    health.markStopping();
    this.#logger.debug('Hosting stopping', { event: HostLogEvents.Stopping });
    if (previous === 'created') {
      // stop() before start(): nothing ran, so only the lifetime events fire.
      applicationLifetime.stopApplication();
      applicationLifetime.notifyStopped();
      this.#phase = 'stopped';
      this.#logger.debug('Hosting stopped', { event: HostLogEvents.Stopped });
      return;
    }
    const errors: unknown[] = [];
    // A start that a stop gave up waiting for is abandoned first: it was under way.
    const abandoned: Abandoned = { blocking: [...this.#pendingStart], askedTooLate: [], all: [...this.#pendingStart] };
    const entered = this.#entries.filter((entry) => this.#entered.has(entry)).reverse();
    const started = this.#entries.filter((entry) => this.#started.has(entry)).reverse();
    // 1. `stopping` hooks, LIFO, then the application lifetime's `stopping`.
    await this.#stopPhase('stopping', entered, signal, errors, abandoned);
    applicationLifetime.stopApplication();
    // 2. Stop hosted services in LIFO order.
    await this.#stopPhase('stop', started, signal, errors, abandoned);
    // 3. `stopped` hooks, LIFO, then the application lifetime's `stopped`.
    await this.#stopPhase('stopped', entered, signal, errors, abandoned);
    applicationLifetime.notifyStopped();
    // 4. Host lifetime: release the process.
    if (this.#lifetimeEntered) {
      const late = signal.aborted;
      const settled = await settleWithin(() => lifetime.stop(signal), signal);
      if (settled.kind === 'abandoned') abandon(abandoned, 'host lifetime', late);
      else if (settled.kind === 'failed') {
        this.#logger.error('The host lifetime failed to stop', {
          event: HostLogEvents.HostedServiceStopFaulted,
          error: settled.error,
          service: 'host lifetime',
        });
        errors.push(settled.error);
      }
    }
    this.#phase = 'stopped';
    if (abandoned.all.length > 0) {
      const error = new HostShutdownTimeoutError(abandoned.all, options.shutdownTimeout, signal.reason, abandoned);
      this.#logger.error(error.message, {
        event: HostLogEvents.HostedServicesAbandoned,
        services: abandoned.all,
        blocking: abandoned.blocking,
        askedTooLate: abandoned.askedTooLate,
      });
      errors.push(error);
    }
    const error = combine(errors, `The host stopped with ${errors.length} errors`);
    if (error !== undefined) {
      this.#logger.error('Hosting stopped with errors', { event: HostLogEvents.StoppedWithException, error });
      // oxlint-disable-next-line typescript/only-throw-error -- rethrows what a service threw, as it is.
      throw error;
    }
    this.#logger.debug('Hosting stopped', { event: HostLogEvents.Stopped });
  }

  /**
   * Runs one stop step over `entries` (already in stop order), each call raced against `signal`.
   * Failures go to `errors`, what did not settle in time to `abandoned`; never throws.
   */
  async #stopPhase(step: StopStep, entries: readonly Entry[], signal: AbortSignal, errors: unknown[], abandoned: Abandoned): Promise<void> {
    const stopOne = async (entry: Entry): Promise<void> => {
      if (step !== 'stop' && !hasHook(entry.service, step)) return;
      const label = step === 'stop' ? entry.name : `${entry.name} (${step} hook)`;
      const began = this.#parts.timeProvider.timestamp();
      if (step === 'stop') {
        entry.logger.debug(`Stopping hosted service ${entry.name}`, { event: HostLogEvents.HostedServiceStopping, service: entry.name });
      }
      // Asked once the budget is spent: such a call gets an aborted signal and no time at all.
      const late = signal.aborted;
      const settled = await settleWithin(() => call(entry.service, step, signal), signal);
      if (settled.kind === 'done') {
        if (step === 'stop') {
          entry.logger.debug(`Stopped hosted service ${entry.name}`, {
            event: HostLogEvents.HostedServiceStopped,
            service: entry.name,
            duration: this.#parts.timeProvider.elapsedSince(began),
          });
        }
        return;
      }
      // Cancelled by the stop signal: it did not stop in time, which is abandonment, not an error.
      if (settled.kind === 'abandoned' || (signal.aborted && isCancellation(settled.error, signal))) {
        entry.logger.warn(
          late
            ? `Hosted service ${label} was asked to stop only after the shutdown budget was spent and did not stop at once; abandoned`
            : `Hosted service ${label} had not stopped when the shutdown was cut short; abandoned`,
          { service: entry.name, askedTooLate: late },
        );
        abandon(abandoned, label, late);
        return;
      }
      entry.logger.error(`Hosted service ${label} failed to stop`, {
        event: HostLogEvents.HostedServiceStopFaulted,
        error: settled.error,
        service: entry.name,
        ...(step !== 'stop' && { hook: step }),
      });
      errors.push(settled.error);
    };
    if (this.options.servicesStopConcurrently) {
      await Promise.all(entries.map(stopOne));
    } else {
      for (const entry of entries) await stopOne(entry);
    }
  }

  async #dispose(): Promise<void> {
    if (this.#startPromise !== undefined) {
      // A host that started is stopped first (a no-op if it already was); the stop logs its own
      // errors, and stop() still returns them.
      this.#stopCall ??= this.#stop(undefined);
      await this.#stopCall.then(ignore, ignore);
    }
    this.#phase = 'disposed';
    // The DI container last, so loggers and shared services outlive the hosted services.
    await this.services[Symbol.asyncDispose]();
  }
}

/**
 * Calls `service[step](signal)` and returns what it returns, unwrapped: a promise that is already
 * settled must stay so for {@link settleWithin}.
 */
function call(service: HostedService, step: LifecycleHook | 'start' | 'stop', signal: AbortSignal): unknown {
  const method = (service as unknown as Record<string, ((signal: AbortSignal) => unknown) | undefined>)[step];
  return method?.call(service, signal);
}

function hasHook(service: HostedService, hook: LifecycleHook): boolean {
  return typeof (service as Partial<Record<LifecycleHook, unknown>>)[hook] === 'function';
}

function describeStep(step: LifecycleHook | 'start'): string {
  return step === 'start' ? 'start' : `its ${step} hook`;
}

/**
 * Runs `work` and reports how it ended, unless `signal` aborts first: then `abandoned`. When the
 * signal has already aborted, work that settles at once (a synchronous stop) still counts.
 * Never rejects; a late rejection of abandoned work is handled here.
 */
function settleWithin(work: () => unknown, signal: AbortSignal): Promise<Settled> {
  let promise: Promise<unknown>;
  try {
    promise = Promise.resolve(work());
  } catch (error) {
    return Promise.resolve({ kind: 'failed', error });
  }
  return new Promise<Settled>((resolve) => {
    const abandon = (): void => resolve({ kind: 'abandoned' });
    // Queued after the reactions below: a promise that is already settled wins the race.
    const unregister = signal.aborted ? ignore : onAbort(signal, abandon);
    promise.then(
      () => {
        unregister();
        resolve({ kind: 'done' });
      },
      (error: unknown) => {
        unregister();
        resolve({ kind: 'failed', error });
      },
    );
    if (signal.aborted) queueMicrotask(abandon);
  });
}

function abandon(abandoned: Abandoned, label: string, late: boolean): void {
  (late ? abandoned.askedTooLate : abandoned.blocking).push(label);
  abandoned.all.push(label);
}

/** `undefined` for no error, the error itself for one, an AggregateError for several. */
function combine(errors: readonly unknown[], message: string): unknown {
  if (errors.length === 0) return undefined;
  if (errors.length === 1) return errors[0];
  return new AggregateError(errors, message);
}

/**
 * One line for a record that refers to an error logged in full elsewhere: `name: message`, without
 * the stack.
 */
function summarizeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return describeValue(error);
}

function ignore(): void {
  // The outcome is reported elsewhere.
}
