import { describe, expect, it } from 'vitest';
import { createToken, ServiceScopeFactory, type ServiceScopeFactory as ScopeFactory } from '../../src/dependency-injection/index.ts';
import { ConsoleLogSink, MemoryLogSink, type LoggerFactory } from '../../src/logging/index.ts';
import {
  ApplicationLifetimeToken,
  BackgroundService,
  EmbeddedHostLifetime,
  HealthCheckServiceToken,
  HealthStatusBoardToken,
  Host,
  HostOptionsToken,
  LoggerFactoryToken,
  TimeProviderToken,
  type HostedService,
} from '../../src/hosting/index.ts';
import { defaultShutdownTimeout, resolveHostOptions } from '../../src/hosting/host-options.ts';
import { HealthCheckService, HealthStatusBoard } from '../../src/health/index.ts';
import { ManualTimeProvider } from '../../src/testing/index.ts';
import { systemTimeProvider, type TimeProvider } from '../../src/time/index.ts';
import { addPlain, buildHost, createHarness, PlainService } from './hosting-test-helpers.ts';

class Database {
  readonly queries: string[] = [];
}

class LogStore implements AsyncDisposable {
  readonly db: Database;
  disposed = false;
  constructor(db: Database) {
    this.db = db;
  }
  [Symbol.asyncDispose](): Promise<void> {
    this.disposed = true;
    return Promise.resolve();
  }
}

/** The README's example: a background service that runs one scope per tick. */
class CleanupService extends BackgroundService {
  readonly #scopes: ScopeFactory;
  readonly #time: TimeProvider;
  readonly stores: LogStore[] = [];

  constructor(scopes: ScopeFactory, time: TimeProvider) {
    super();
    this.#scopes = scopes;
    this.#time = time;
  }

  protected override async execute(stopping: AbortSignal): Promise<void> {
    for (;;) {
      await this.#time.delay(1_000, stopping);
      await using scope = this.#scopes.createScope();
      const store = scope.get(LogStore);
      store.db.queries.push('DELETE old logs');
      this.stores.push(store);
    }
  }
}

describe('Host.createApplicationBuilder', () => {
  it('runs the example of the README: register without decorators, run, stop on request', async () => {
    const time = new ManualTimeProvider();
    const builder = Host.createApplicationBuilder({ timeProvider: time });
    builder.logging.clearSinks();
    builder.services.addSingleton(Database, () => new Database());
    builder.services.addScoped(LogStore, [Database], (db) => new LogStore(db));
    builder.services.addHostedService(CleanupService, [ServiceScopeFactory, TimeProviderToken], (scopes, clock) => new CleanupService(scopes, clock));
    const host = builder.build();
    const cleanup = host.services.get(CleanupService);
    const database = host.services.get(Database);

    const running = host.run();
    await time.advance(3_000);
    host.applicationLifetime.stopApplication();
    await running;

    expect(database.queries).toEqual(['DELETE old logs', 'DELETE old logs', 'DELETE old logs']);
    expect(cleanup.status).toBe('completed');
    expect(host.phase).toBe('disposed');
    expect((builder.lifetime as EmbeddedHostLifetime).outcome).toEqual({ exitCode: 0 });
  });

  it('gives each unit of work its own scope, disposed at its end', async () => {
    const time = new ManualTimeProvider();
    const builder = Host.createApplicationBuilder({ timeProvider: time });
    builder.logging.clearSinks();
    builder.services.addSingleton(Database, () => new Database());
    builder.services.addScoped(LogStore, [Database], (db) => new LogStore(db));
    builder.services.addHostedService(CleanupService, [ServiceScopeFactory, TimeProviderToken], (scopes, clock) => new CleanupService(scopes, clock));
    const host = builder.build();
    const cleanup = host.services.get(CleanupService);
    await host.start();

    await time.advance(3_000);

    expect(cleanup.stores).toHaveLength(3);
    expect(new Set(cleanup.stores).size).toBe(3);
    expect(cleanup.stores.every((store) => store.disposed)).toBe(true);
    expect(host.services.get(Database).queries).toHaveLength(3);
    await host.stop();
  });

  it('defaults to console logging, the system clock, the embedded lifetime and .NET default options', () => {
    const builder = Host.createApplicationBuilder();

    expect(builder.logging.sinks).toHaveLength(1);
    expect(builder.logging.sinks[0]).toBeInstanceOf(ConsoleLogSink);
    expect(builder.logging.minimumLevel).toBe('info');
    expect(builder.timeProvider).toBe(systemTimeProvider);
    expect(builder.lifetime).toBeInstanceOf(EmbeddedHostLifetime);
    expect(resolveHostOptions(builder.options)).toEqual({
      startupTimeout: undefined,
      shutdownTimeout: defaultShutdownTimeout,
      servicesStartConcurrently: false,
      servicesStopConcurrently: false,
      backgroundServiceExceptionBehavior: 'stopHost',
    });
    expect(defaultShutdownTimeout).toBe(30_000);
  });

  it('takes the lifetime, clock and options given to it', () => {
    const time = new ManualTimeProvider();
    const lifetime = new EmbeddedHostLifetime();
    const builder = Host.createApplicationBuilder({ timeProvider: time, lifetime, hostOptions: { shutdownTimeout: 5_000 } });

    expect(builder.timeProvider).toBe(time);
    expect(builder.lifetime).toBe(lifetime);
    expect(builder.options.shutdownTimeout).toBe(5_000);
  });

  it('gives the host it builds the lifetime it was given, readable as host.lifetime', () => {
    const lifetime = new EmbeddedHostLifetime();

    const host = Host.createApplicationBuilder({ lifetime }).build();

    expect(host.lifetime).toBe(lifetime);
  });
});

describe('HostApplicationBuilder.build', () => {
  it('registers the well-known services under their tokens', () => {
    const harness = createHarness({ servicesStopConcurrently: true });
    const host = buildHost(harness);

    expect(host.services.get(TimeProviderToken)).toBe(harness.time);
    expect(typeof host.services.get(LoggerFactoryToken).createLogger).toBe('function');
    expect(host.services.get(ApplicationLifetimeToken)).toBe(host.applicationLifetime);
    expect(host.services.get(HostOptionsToken)).toBe(host.options);
    expect(host.services.get(HostOptionsToken).servicesStopConcurrently).toBe(true);
    expect(host.services.get(HealthCheckServiceToken)).toBeInstanceOf(HealthCheckService);
    expect(host.services.get(HealthStatusBoardToken)).toBeInstanceOf(HealthStatusBoard);
  });

  it('registers hosted services as singletons, resolvable by their own token as the same instance', async () => {
    const harness = createHarness();
    let created = 0;
    harness.builder.services.addHostedService(PlainService, () => {
      created += 1;
      return new PlainService('A', harness.calls);
    });
    const host = buildHost(harness);

    const resolved = host.services.get(PlainService);
    await host.start();

    expect(created).toBe(1);
    expect(host.services.get(PlainService)).toBe(resolved);
    expect(harness.calls).toContain('A.start');
    await host.stop();
  });

  it('rejects the same hosted service registered twice, naming it', () => {
    const harness = createHarness();
    addPlain(harness, 'A');
    const Twice = createToken<PlainService>('Twice');
    harness.builder.services.addHostedService(Twice, () => new PlainService('Twice', harness.calls));

    expect(() => harness.builder.services.addHostedService(Twice, () => new PlainService('Twice', harness.calls))).toThrow(
      "Hosted service 'Twice' is already registered: a hosted service is registered once, or it would start twice.",
    );
  });

  it('fails the start, naming the service and the value, when a registration is not a hosted service', async () => {
    const harness = createHarness();
    class NotAService {
      run(): void {}
    }
    harness.builder.services.addHostedService(createToken<HostedService>('NotAService'), () => new NotAService() as unknown as HostedService);
    addPlain(harness, 'B');
    const host = buildHost(harness);

    await expect(host.start()).rejects.toThrow(
      new TypeError("Expected hosted service 'NotAService' to have start and stop methods, got an instance of NotAService (object)"),
    );
    expect(harness.calls).not.toContain('B.start');
  });

  it('fails the start when two hosted service registrations resolve to the same instance', async () => {
    const harness = createHarness();
    const shared = new PlainService('Shared', harness.calls);
    harness.builder.services.addHostedService(createToken<PlainService>('First'), () => shared);
    harness.builder.services.addHostedService(createToken<PlainService>('Second'), () => shared);
    const host = buildHost(harness);

    await expect(host.start()).rejects.toThrow("Hosted services 'First' and 'Second' resolve to the same instance");
    expect(harness.calls).not.toContain('Shared.start');
  });

  it.each([
    ['shutdownTimeout', -1, 'Expected shutdownTimeout to be a finite number of milliseconds >= 0, got -1 (number)'],
    ['shutdownTimeout', Number.NaN, 'Expected shutdownTimeout to be a finite number of milliseconds >= 0, got NaN (number)'],
    ['shutdownTimeout', Infinity, 'Expected shutdownTimeout to be a finite number of milliseconds >= 0, got Infinity (number)'],
    ['startupTimeout', -5, 'Expected startupTimeout to be a finite number of milliseconds >= 0, got -5 (number)'],
    ['startupTimeout', Infinity, 'Expected startupTimeout to be a finite number of milliseconds >= 0, got Infinity (number)'],
    ['startupTimeout', '10s', 'Expected startupTimeout to be a finite number of milliseconds >= 0, got "10s" (string)'],
  ])('rejects %s = %s with a RangeError naming the option, the value and its type', (option, value, message) => {
    const harness = createHarness();
    Object.assign(harness.builder.options, { [option]: value });

    expect(() => harness.builder.build()).toThrow(new RangeError(message));
  });

  it('rejects options of the wrong type with a TypeError naming them', () => {
    const concurrency = createHarness();
    Object.assign(concurrency.builder.options, { servicesStartConcurrently: 'yes' });
    expect(() => concurrency.builder.build()).toThrow(new TypeError('Expected servicesStartConcurrently to be a boolean, got "yes" (string)'));

    const behaviour = createHarness();
    Object.assign(behaviour.builder.options, { backgroundServiceExceptionBehavior: 'crash' });
    expect(() => behaviour.builder.build()).toThrow(
      new TypeError(`Expected backgroundServiceExceptionBehavior to be 'stopHost' or 'ignore', got "crash" (string)`),
    );
  });

  it('accepts zero timeouts: a zero shutdownTimeout abandons what does not stop at once', async () => {
    const harness = createHarness({ startupTimeout: 0, shutdownTimeout: 0 });
    addPlain(harness, 'A');
    addPlain(harness, 'B', { stop: 'hang' });
    const host = buildHost(harness);
    await host.start();

    const stopping = host.stop().catch((error: unknown) => error);
    await harness.time.advance(0);

    expect(host.options).toMatchObject({ startupTimeout: 0, shutdownTimeout: 0 });
    expect(await stopping).toMatchObject({ name: 'HostShutdownTimeoutError', abandoned: ['B'] });
  });

  it('rejects duplicate health check names when building', () => {
    const harness = createHarness();
    harness.builder.healthChecks.add({ name: 'db', check: () => ({ status: 'healthy' }) });
    harness.builder.healthChecks.add({ name: 'db', check: () => ({ status: 'healthy' }) });

    expect(() => harness.builder.build()).toThrow("Expected health check names to be unique, got duplicates: 'db' (2 times)");
  });

  it('rejects a health check named like one of the host\'s own', () => {
    const harness = createHarness();
    harness.builder.healthChecks.add({ name: 'hostkit.readiness', check: () => ({ status: 'healthy' }) });

    expect(() => harness.builder.build()).toThrow(RangeError);
  });

  it('rejects a well-known token registered by hand, saying what to set instead', () => {
    const harness = createHarness();
    harness.builder.services.addInstance(TimeProviderToken, new ManualTimeProvider());

    expect(() => harness.builder.build()).toThrow(
      "'TimeProvider' is registered by the host builder; do not register it yourself (set builder.timeProvider instead).",
    );
  });

  it('rejects a time provider or lifetime that is not one', () => {
    const time = createHarness();
    time.builder.timeProvider = {} as TimeProvider;
    expect(() => time.builder.build()).toThrow(new TypeError('Expected timeProvider to be a TimeProvider, got {} (object)'));

    const lifetime = createHarness();
    lifetime.builder.lifetime = { waitForStart: () => Promise.resolve() } as unknown as EmbeddedHostLifetime;
    expect(() => lifetime.builder.build()).toThrow(TypeError);
  });

  it('builds once', () => {
    const harness = createHarness();
    harness.builder.build();

    expect(() => harness.builder.build()).toThrow('HostApplicationBuilder.build() was already called: a builder builds one host.');
  });
});

describe('HostLoggingBuilder', () => {
  it('filters by minimum level and by category prefix', async () => {
    const harness = createHarness();
    harness.builder.logging.setMinimumLevel('debug').setCategoryLevel('hostkit', 'warn').setCategoryLevel('Noisy', 'none');
    addPlain(harness, 'Worker');
    addPlain(harness, 'Noisy');
    const host = buildHost(harness);

    await host.start();

    expect(harness.sink.records.map((record) => record.category)).toEqual(['Worker', 'Worker']);
  });

  it('rejects a level that is not one, naming it', () => {
    const harness = createHarness();

    expect(() => harness.builder.logging.setMinimumLevel('verbose' as 'info')).toThrow(
      new RangeError('Expected minimumLevel to be one of trace, debug, info, warn, error, critical, none, got "verbose" (string)'),
    );
    expect(() => harness.builder.logging.addSink({} as MemoryLogSink)).toThrow(TypeError);
  });

  it('uses a logger factory of the application instead when given one', async () => {
    const sink = new MemoryLogSink();
    const harness = createHarness();
    const categories: string[] = [];
    const factory: LoggerFactory = {
      createLogger: (category) => {
        categories.push(category);
        return {
          category,
          isEnabled: () => true,
          log: () => {},
          trace: () => {},
          debug: () => {},
          info: () => {},
          warn: () => {},
          error: () => {},
          critical: () => {},
        };
      },
    };
    harness.builder.logging.useFactory(factory).addSink(sink);
    addPlain(harness, 'Worker');
    const host = buildHost(harness);

    await host.start();

    expect(host.services.get(LoggerFactoryToken)).toBe(factory);
    expect(categories).toContain('Worker');
    expect(categories).toContain('hostkit.Host');
    expect(sink.records).toEqual([]);
  });
});
