/**
 * Shared by the hosting suites: a host on a manual clock with a memory log, and hosted services
 * that record every call in one ordered log and behave as each test asks.
 */
import { createToken, type Token } from '../../src/dependency-injection/index.ts';
import { MemoryLogSink } from '../../src/logging/index.ts';
import {
  BackgroundService,
  Host,
  type BackgroundServiceOptions,
  type HostApplicationBuilder,
  type HostedLifecycleService,
  type HostLifetime,
  type HostLifetimeContext,
  type HostOptions,
  type HostRunOutcome,
} from '../../src/hosting/index.ts';
import { ManualTimeProvider } from '../../src/testing/index.ts';

/** What a recorded method does once it has recorded its call. */
export type Behaviour =
  /** Resolves at once. */
  | 'resolve'
  /** Never settles and ignores its signal. */
  | 'hang'
  /** Waits for its signal, then rejects with the signal's reason. */
  | 'honour'
  /** Rejects with this error. */
  | Error
  /** Does whatever the function does. */
  | ((signal: AbortSignal) => Promise<void>);

export type Method = 'starting' | 'start' | 'started' | 'stopping' | 'stop' | 'stopped';

/** A lifecycle service whose every call goes to `calls` as `<name>.<method>`. */
export class RecordingService implements HostedLifecycleService {
  readonly name: string;
  readonly calls: string[];
  readonly behaviours: Partial<Record<Method, Behaviour>>;
  /** The signal each method was last given. */
  readonly signals: Partial<Record<Method, AbortSignal>> = {};

  constructor(name: string, calls: string[], behaviours: Partial<Record<Method, Behaviour>> = {}) {
    this.name = name;
    this.calls = calls;
    this.behaviours = behaviours;
  }

  starting(signal: AbortSignal): Promise<void> {
    return this.#record('starting', signal);
  }

  start(signal: AbortSignal): Promise<void> {
    return this.#record('start', signal);
  }

  started(signal: AbortSignal): Promise<void> {
    return this.#record('started', signal);
  }

  stopping(signal: AbortSignal): Promise<void> {
    return this.#record('stopping', signal);
  }

  stop(signal: AbortSignal): Promise<void> {
    return this.#record('stop', signal);
  }

  stopped(signal: AbortSignal): Promise<void> {
    return this.#record('stopped', signal);
  }

  #record(method: Method, signal: AbortSignal): Promise<void> {
    this.calls.push(`${this.name}.${method}`);
    this.signals[method] = signal;
    return behave(this.behaviours[method] ?? 'resolve', signal);
  }
}

/** A plain hosted service (no hooks) that records start and stop. */
export class PlainService {
  readonly name: string;
  readonly calls: string[];
  readonly behaviours: Partial<Record<'start' | 'stop', Behaviour>>;

  constructor(name: string, calls: string[], behaviours: Partial<Record<'start' | 'stop', Behaviour>> = {}) {
    this.name = name;
    this.calls = calls;
    this.behaviours = behaviours;
  }

  start(signal: AbortSignal): Promise<void> {
    this.calls.push(`${this.name}.start`);
    return behave(this.behaviours.start ?? 'resolve', signal);
  }

  stop(signal: AbortSignal): Promise<void> {
    this.calls.push(`${this.name}.stop`);
    return behave(this.behaviours.stop ?? 'resolve', signal);
  }
}

export function behave(behaviour: Behaviour, signal: AbortSignal): Promise<void> {
  if (behaviour === 'resolve') return Promise.resolve();
  if (behaviour === 'hang') return new Promise<void>(() => {});
  if (behaviour === 'honour') {
    return new Promise<void>((_resolve, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }
  if (behaviour instanceof Error) return Promise.reject(behaviour);
  return behaviour(signal);
}

/** A host lifetime that records its calls in the shared log. */
export class RecordingLifetime implements HostLifetime {
  readonly calls: string[];
  context: HostLifetimeContext | undefined = undefined;
  outcome: HostRunOutcome | undefined = undefined;
  waitForStartBehaviour: Behaviour = 'resolve';
  stopBehaviour: Behaviour = 'resolve';
  /** Handles held: what an adapter must keep at 1 while running, 0 after. */
  handles = 0;

  constructor(calls: string[]) {
    this.calls = calls;
  }

  waitForStart(context: HostLifetimeContext, signal: AbortSignal): Promise<void> {
    this.calls.push('hostLifetime.waitForStart');
    this.context = context;
    this.handles += 1;
    return behave(this.waitForStartBehaviour, signal);
  }

  stop(signal: AbortSignal): Promise<void> {
    this.calls.push('hostLifetime.stop');
    this.handles = Math.max(0, this.handles - 1);
    return behave(this.stopBehaviour, signal);
  }

  complete(outcome: HostRunOutcome): void {
    this.calls.push(`hostLifetime.complete(${outcome.exitCode})`);
    this.outcome = outcome;
  }
}

export interface Harness {
  readonly time: ManualTimeProvider;
  readonly sink: MemoryLogSink;
  readonly calls: string[];
  readonly lifetime: RecordingLifetime;
  readonly builder: HostApplicationBuilder;
}

/** A builder on a manual clock, logging everything to memory, with a recording host lifetime. */
export function createHarness(hostOptions: HostOptions = {}): Harness {
  const time = new ManualTimeProvider();
  const sink = new MemoryLogSink();
  const calls: string[] = [];
  const lifetime = new RecordingLifetime(calls);
  const builder = Host.createApplicationBuilder({ timeProvider: time, lifetime, hostOptions });
  builder.logging.clearSinks().addSink(sink).setMinimumLevel('trace');
  return { time, sink, calls, lifetime, builder };
}

/** Registers a {@link RecordingService} as a hosted service under a token named `name`. */
export function addRecording(
  harness: Harness,
  name: string,
  behaviours: Partial<Record<Method, Behaviour>> = {},
): RecordingService {
  const service = new RecordingService(name, harness.calls, behaviours);
  const token: Token<RecordingService> = createToken<RecordingService>(name);
  harness.builder.services.addHostedService(token, () => service);
  return service;
}

/** Registers a {@link PlainService} as a hosted service under a token named `name`. */
export function addPlain(harness: Harness, name: string, behaviours: Partial<Record<'start' | 'stop', Behaviour>> = {}): PlainService {
  const service = new PlainService(name, harness.calls, behaviours);
  harness.builder.services.addHostedService(createToken<PlainService>(name), () => service);
  return service;
}

/** Builds the host and records the application lifetime's events in the shared log. */
export function buildHost(harness: Harness): Host {
  const host = harness.builder.build();
  host.applicationLifetime.onStarted(() => harness.calls.push('lifetime.started'));
  host.applicationLifetime.onStopping(() => harness.calls.push('lifetime.stopping'));
  host.applicationLifetime.onStopped(() => harness.calls.push('lifetime.stopped'));
  return host;
}

/** Records how a promise settled without awaiting it, so a test can check it is still pending. */
export function track<T>(promise: Promise<T>): { readonly state: 'pending' | 'fulfilled' | 'rejected'; readonly value: T | undefined; readonly error: unknown } {
  const tracked: { state: 'pending' | 'fulfilled' | 'rejected'; value: T | undefined; error: unknown } = {
    state: 'pending',
    value: undefined,
    error: undefined,
  };
  // Observed through the returned object; both branches are handled, so this cannot reject.
  void promise.then(
    (value) => {
      tracked.state = 'fulfilled';
      tracked.value = value;
    },
    (error: unknown) => {
      tracked.state = 'rejected';
      tracked.error = error;
    },
  );
  return tracked;
}

/** A background service whose execute is given by the test. */
export class LambdaBackgroundService extends BackgroundService {
  readonly #execute: (stopping: AbortSignal, service: LambdaBackgroundService) => Promise<void>;
  executions = 0;
  lastSignal: AbortSignal | undefined = undefined;

  constructor(execute: (stopping: AbortSignal, service: LambdaBackgroundService) => Promise<void>, options?: BackgroundServiceOptions) {
    super(options);
    this.#execute = execute;
  }

  protected override execute(stopping: AbortSignal): Promise<void> {
    this.executions += 1;
    this.lastSignal = stopping;
    return this.#execute(stopping, this);
  }
}

/** Registers a background service whose execute is given by the test. */
export function addBackground(
  harness: Harness,
  name: string,
  execute: (stopping: AbortSignal, service: LambdaBackgroundService) => Promise<void>,
  options?: BackgroundServiceOptions,
): LambdaBackgroundService {
  const service = new LambdaBackgroundService(execute, options);
  harness.builder.services.addHostedService(createToken<LambdaBackgroundService>(name), () => service);
  return service;
}

/** Events of the records in `sink`, by name, in order. */
export function eventNames(sink: MemoryLogSink): string[] {
  return sink.records.flatMap((record) => (record.event === undefined ? [] : [record.event.name]));
}
