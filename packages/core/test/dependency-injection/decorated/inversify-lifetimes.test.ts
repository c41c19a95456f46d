/**
 * Classes written the inversify way (legacy decorators, `ContainerModule`, an application's own
 * `Container`) get hostkit's lifetimes, scope disposal and captive checks.
 *
 * This folder's tsconfig turns on `experimentalDecorators` and `emitDecoratorMetadata`, as a
 * user's project that uses inversify's decorators does; the same file runs on Node and, through
 * vitest under Deno (`npm run test:deno -w @hostkit/core`), on Deno.
 */
import { Container, ContainerModule, inject, injectable, optional, postConstruct, preDestroy } from 'inversify';
import { describe, expect, it } from 'vitest';
import {
  CaptiveDependencyError,
  CircularDependencyError,
  createToken,
  ServiceCollection,
  ServiceNotFoundError,
  ServiceScopeFactory,
  type ServiceResolver,
} from '../../../src/dependency-injection/index.ts';
import { BackgroundService, Host, TimeProviderToken } from '../../../src/hosting/index.ts';
import { ManualTimeProvider } from '../../../src/testing/index.ts';
import type { TimeProvider } from '../../../src/time/index.ts';

/** Every instance created and disposed, in order, as `<what>#<n>`. */
let log: string[] = [];
let created = 0;

@injectable()
class Database implements AsyncDisposable {
  readonly id: string = `database#${++created}`;
  constructor() {
    log.push(`create ${this.id}`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    log.push(`dispose ${this.id}`);
  }
}

@injectable()
class UnitOfWork implements Disposable {
  readonly id: string = `unit of work#${++created}`;
  readonly db: Database;
  constructor(@inject(Database) db: Database) {
    this.db = db;
    log.push(`create ${this.id}`);
  }

  [Symbol.dispose](): void {
    log.push(`dispose ${this.id}`);
  }
}

@injectable()
class Parser implements Disposable {
  readonly id: string = `parser#${++created}`;
  /** Property injection: inversify sets it, hostkit checks it like a constructor argument. */
  @inject(UnitOfWork) readonly work!: UnitOfWork;

  [Symbol.dispose](): void {
    log.push(`dispose ${this.id}`);
  }
}

/** Unannotated constructor parameters, from `emitDecoratorMetadata`. */
@injectable()
class Repository {
  readonly work: UnitOfWork;
  readonly parser: Parser;
  constructor(work: UnitOfWork, parser: Parser) {
    this.work = work;
    this.parser = parser;
  }
}

function bindAll(container: Container): void {
  container.bind(Database).toSelf().inSingletonScope();
  container.bind(UnitOfWork).toSelf().inRequestScope();
  container.bind(Parser).toSelf().inTransientScope();
  container.bind(Repository).toSelf().inRequestScope();
}

function reset(): void {
  log = [];
  created = 0;
}

describe('inversify bindings under hostkit', () => {
  it('keeps one singleton per provider, one scoped instance per hostkit scope and new transients when classes are decorated', () => {
    reset();
    const services = new ServiceCollection();
    bindAll(services.container);
    const provider = services.build();
    const first = provider.createScope();
    const second = provider.createScope();

    expect(first.get(Database)).toBe(second.get(Database));
    expect(first.get(Database)).toBe(provider.get(Database));
    expect(first.get(UnitOfWork)).toBe(first.get(UnitOfWork));
    expect(first.get(UnitOfWork)).not.toBe(second.get(UnitOfWork));
    expect(first.get(Parser)).not.toBe(first.get(Parser));
    expect(first.get(Parser).work).toBe(first.get(UnitOfWork));
    const repository = first.get(Repository);
    expect(repository.work).toBe(first.get(UnitOfWork));
    expect(repository.parser.work).toBe(first.get(UnitOfWork));
  });

  it('gives inversify resolutions through the container the same instances as the provider when the scope is the same', () => {
    reset();
    const services = new ServiceCollection();
    bindAll(services.container);
    const provider = services.build();
    const scope = provider.createScope();

    expect(provider.container.get(Database)).toBe(provider.get(Database));
    expect(scope.get(Repository).work.db).toBe(provider.container.get(Database));
  });

  it('takes the scope of @injectable(scope) when the binding names none', () => {
    @injectable('Singleton')
    class Clock {}
    @injectable('Request')
    class RequestLog {}
    const services = new ServiceCollection();
    services.container.bind(Clock).toSelf();
    services.container.bind(RequestLog).toSelf();
    const provider = services.build();
    const scope = provider.createScope();

    expect(provider.createScope().get(Clock)).toBe(scope.get(Clock));
    expect(scope.get(RequestLog)).toBe(scope.get(RequestLog));
    expect(provider.createScope().get(RequestLog)).not.toBe(scope.get(RequestLog));
    expect(() => provider.get(RequestLog)).toThrow(CaptiveDependencyError);
  });

  it('disposes what a scope created in reverse creation order when the scope ends', async () => {
    reset();
    const services = new ServiceCollection();
    bindAll(services.container);
    const provider = services.build();
    {
      await using scope = provider.createScope();
      scope.get(Repository);
    }
    // The singleton database belongs to the provider, not to the scope.
    expect(log).toEqual([
      'create database#1',
      'create unit of work#2',
      'dispose parser#3',
      'dispose unit of work#2',
    ]);
    await provider[Symbol.asyncDispose]();
    expect(log.at(-1)).toBe('dispose database#1');
  });

  it('runs @preDestroy, then onDeactivation, then Symbol.asyncDispose when a singleton is disposed', async () => {
    const steps: string[] = [];
    @injectable()
    class Session implements AsyncDisposable {
      @postConstruct()
      open(): void {
        steps.push('postConstruct');
      }

      @preDestroy()
      close(): void {
        steps.push('preDestroy');
      }

      async [Symbol.asyncDispose](): Promise<void> {
        steps.push('asyncDispose');
      }
    }
    const services = new ServiceCollection();
    services.container
      .bind(Session)
      .toSelf()
      .inSingletonScope()
      .onDeactivation(() => {
        steps.push('onDeactivation');
      });
    services.container.onDeactivation(Session, () => {
      steps.push('container onDeactivation');
    });
    const provider = services.build();
    provider.createScope().get(Session);
    provider.get(Session);
    expect(steps).toEqual(['postConstruct']);

    await provider[Symbol.asyncDispose]();

    expect(steps).toEqual(['postConstruct', 'preDestroy', 'onDeactivation', 'container onDeactivation', 'asyncDispose']);
  });

  it('runs @preDestroy of a request-scoped instance when its scope ends', async () => {
    const steps: string[] = [];
    @injectable()
    class Request {
      @preDestroy()
      close(): void {
        steps.push('preDestroy');
      }
    }
    const services = new ServiceCollection();
    services.container.bind(Request).toSelf().inRequestScope();
    const scope = services.build().createScope();
    scope.get(Request);

    await scope[Symbol.asyncDispose]();

    expect(steps).toEqual(['preDestroy']);
  });

  it('reports a singleton that injects a request-scoped class as captive when building', () => {
    @injectable()
    class Cache {
      readonly work: UnitOfWork;
      constructor(@inject(UnitOfWork) work: UnitOfWork) {
        this.work = work;
      }
    }
    const services = new ServiceCollection();
    bindAll(services.container);
    services.container.bind(Cache).toSelf().inSingletonScope();

    const error = captured(() => services.build());

    expect(error).toBeInstanceOf(CaptiveDependencyError);
    expect((error as CaptiveDependencyError).singletonName).toBe('Cache');
    expect((error as CaptiveDependencyError).scopedName).toBe('UnitOfWork');
  });

  it('reports a singleton that reaches a scoped service through a transient property as captive when building', () => {
    @injectable()
    class Report {
      @inject(Parser) readonly parser!: Parser;
    }
    const services = new ServiceCollection();
    bindAll(services.container);
    services.container.bind(Report).toSelf().inSingletonScope();

    const error = captured(() => services.build()) as CaptiveDependencyError;

    expect(error).toBeInstanceOf(CaptiveDependencyError);
    expect(error.path).toEqual(['Report', 'Parser', 'UnitOfWork']);
  });

  it('reports a decorated singleton that injects a hostkit scoped registration as captive when building', () => {
    const Tenant = createToken<{ name: string }>('Tenant');
    @injectable()
    class TenantCache {
      readonly tenant: { name: string };
      constructor(@inject(Tenant.symbol) tenant: { name: string }) {
        this.tenant = tenant;
      }
    }
    const services = new ServiceCollection().addScoped(Tenant, () => ({ name: 'acme' }));
    services.container.bind(TenantCache).toSelf().inSingletonScope();

    expect(() => services.build()).toThrow(CaptiveDependencyError);
  });

  it('reports the captive dependency at first resolution when a resolver factory hides it', () => {
    const Tenant = createToken<{ name: string }>('Tenant');
    const Lookup = createToken<{ name: string }>('Lookup');
    @injectable()
    class TenantCache {
      readonly tenant: { name: string };
      constructor(@inject(Lookup.symbol) tenant: { name: string }) {
        this.tenant = tenant;
      }
    }
    const services = new ServiceCollection()
      .addScoped(Tenant, () => ({ name: 'acme' }))
      .addTransient(Lookup, (sp: ServiceResolver) => sp.get(Tenant));
    services.container.bind(TenantCache).toSelf().inSingletonScope();
    const provider = services.build();
    const scope = provider.createScope();

    const error = captured(() => scope.get(TenantCache)) as CaptiveDependencyError;

    expect(error).toBeInstanceOf(CaptiveDependencyError);
    expect(error.singletonName).toBe('TenantCache');
    expect(error.path).toEqual(['TenantCache', 'Lookup', 'Tenant']);
  });

  it('reports an unbound dependency when building, unless it is @optional()', () => {
    class Missing {}
    @injectable()
    class NeedsIt {
      readonly missing: Missing;
      constructor(@inject(Missing) missing: Missing) {
        this.missing = missing;
      }
    }
    @injectable()
    class MayHaveIt {
      readonly missing: Missing | undefined;
      constructor(@inject(Missing) @optional() missing?: Missing) {
        this.missing = missing;
      }
    }
    const strict = new ServiceCollection();
    strict.container.bind(NeedsIt).toSelf();
    const error = captured(() => strict.build()) as ServiceNotFoundError;
    expect(error).toBeInstanceOf(ServiceNotFoundError);
    expect(error.message).toBe("'NeedsIt' depends on 'Missing', which is not registered.");

    const lenient = new ServiceCollection();
    lenient.container.bind(MayHaveIt).toSelf();
    expect(lenient.build().get(MayHaveIt).missing).toBeUndefined();
  });

  it('reports a cycle between decorated classes when building', () => {
    const A = createToken<unknown>('A');
    const B = createToken<unknown>('B');
    @injectable()
    class First {
      readonly b: unknown;
      constructor(@inject(B.symbol) b: unknown) {
        this.b = b;
      }
    }
    @injectable()
    class Second {
      readonly a: unknown;
      constructor(@inject(A.symbol) a: unknown) {
        this.a = a;
      }
    }
    const services = new ServiceCollection();
    services.container.bind(A.symbol).to(First);
    services.container.bind(B.symbol).to(Second);

    const error = captured(() => services.build()) as CircularDependencyError;

    expect(error).toBeInstanceOf(CircularDependencyError);
    expect(error.path).toEqual(['A', 'B', 'A']);
  });

  it('resolves a token whose symbol is bound to a decorated class, with hostkit lifetimes', () => {
    interface Clock {
      now(): number;
    }
    const Clock = createToken<Clock>('Clock');
    @injectable()
    class FixedClock implements Clock {
      now(): number {
        return 42;
      }
    }
    const services = new ServiceCollection();
    services.container.bind(Clock.symbol).to(FixedClock).inSingletonScope();
    const provider = services.build();

    expect(provider.get(Clock).now()).toBe(42);
    expect(provider.get(Clock)).toBe(provider.createScope().get(Clock));
    expect(provider.getAll(Clock)).toEqual([provider.get(Clock)]);
  });

  it('leaves a failed build retryable with the user bindings untouched', () => {
    @injectable()
    class Cache {
      readonly work: UnitOfWork;
      constructor(@inject(UnitOfWork) work: UnitOfWork) {
        this.work = work;
      }
    }
    const services = new ServiceCollection();
    bindAll(services.container);
    services.container.bind(Cache).toSelf().inSingletonScope();
    expect(() => services.build()).toThrow(CaptiveDependencyError);

    services.container.unbind(Cache);
    services.container.bind(Cache).toSelf().inRequestScope();
    const scope = services.build().createScope();
    expect(scope.get(Cache).work).toBe(scope.get(UnitOfWork));
  });
});

describe('ServiceCollection.addContainerModule', () => {
  it('takes over the bindings of a ContainerModule with hostkit lifetimes', async () => {
    reset();
    const persistence = new ContainerModule(({ bind }) => {
      bind(Database).toSelf().inSingletonScope();
      bind(UnitOfWork).toSelf().inRequestScope();
      bind(Parser).toSelf().inTransientScope();
    });
    const provider = new ServiceCollection().addContainerModule(persistence).build();
    const scope = provider.createScope();

    expect(scope.get(Parser).work).toBe(scope.get(UnitOfWork));
    expect(scope.get(UnitOfWork).db).toBe(provider.get(Database));
    expect(provider.createScope().get(UnitOfWork)).not.toBe(scope.get(UnitOfWork));
    await scope[Symbol.asyncDispose]();
    // The parser was created first; the unit of work (and the singleton database) for its property.
    expect(log.filter((entry) => entry.startsWith('dispose'))).toEqual(['dispose parser#1', 'dispose unit of work#3']);
  });

  it('takes over a toResolvedValue binding with its dependencies', () => {
    const Greeting = createToken<string>('Greeting');
    const module = new ContainerModule(({ bind }) => {
      bind(Database).toSelf().inSingletonScope();
      bind(Greeting.symbol)
        .toResolvedValue((db: Database) => `hello from ${db.id}`, [Database])
        .inSingletonScope();
    });
    const provider = new ServiceCollection().addContainerModule(module).build();

    expect(provider.get(Greeting)).toBe(`hello from ${provider.get(Database).id}`);
  });

  it('rejects a module that loads asynchronously, saying what to do instead', () => {
    const module = new ContainerModule(async ({ bind }) => {
      bind(Database).toSelf();
    });
    expect(() => new ServiceCollection().addContainerModule(module)).toThrow(
      /load synchronously.*loadAsync\(module\) before build\(\)/,
    );
  });
});

describe('Host.createApplicationBuilder({ container })', () => {
  /** The README's cleanup service, written the inversify way. */
  @injectable()
  class CleanupService extends BackgroundService {
    readonly #scopes: ServiceScopeFactory;
    readonly #time: TimeProvider;
    readonly works: UnitOfWork[] = [];

    constructor(
      @inject(ServiceScopeFactory.symbol) scopes: ServiceScopeFactory,
      @inject(TimeProviderToken.symbol) time: TimeProvider,
    ) {
      super();
      this.#scopes = scopes;
      this.#time = time;
    }

    protected override async execute(stopping: AbortSignal): Promise<void> {
      for (;;) {
        await this.#time.delay(1_000, stopping);
        await using scope = this.#scopes.createScope();
        this.works.push(scope.get(UnitOfWork));
      }
    }
  }

  it('runs a hosted service bound in an existing container, with a scope per unit of work', async () => {
    reset();
    const container = new Container();
    bindAll(container);
    container.bind(CleanupService).toSelf().inSingletonScope();
    const time = new ManualTimeProvider();
    const builder = Host.createApplicationBuilder({ timeProvider: time, container });
    builder.logging.clearSinks();
    builder.services.addHostedService(CleanupService);
    const host = builder.build();

    expect(host.services.container).toBe(container);
    const cleanup = host.services.get(CleanupService);
    const running = host.run();
    await time.advance(2_000);
    host.applicationLifetime.stopApplication();
    await running;

    expect(cleanup.status).toBe('completed');
    expect(cleanup.works.map((work) => work.id)).toEqual(['unit of work#2', 'unit of work#3']);
    expect(log).toEqual([
      'create database#1',
      'create unit of work#2',
      'dispose unit of work#2',
      'create unit of work#3',
      'dispose unit of work#3',
      'dispose database#1',
    ]);
  });

  it('fails to build when a hosted service registered by token alone is bound nowhere', () => {
    const builder = Host.createApplicationBuilder({ container: new Container() });
    builder.services.addHostedService(CleanupService);

    expect(() => builder.build()).toThrow(ServiceNotFoundError);
  });

  it('rejects two different containers, one given as container and one in services', () => {
    expect(() =>
      Host.createApplicationBuilder({ container: new Container(), services: { container: new Container() } })
    ).toThrow(TypeError);
  });
});

function captured(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
