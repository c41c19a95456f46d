import { describe, expect, it } from 'vitest';
import {
  CaptiveDependencyError,
  CircularDependencyError,
  createToken,
  ObjectDisposedError,
  ServiceCollection,
  ServiceNotFoundError,
  ServiceResolver,
  ServiceScopeFactory,
  type ServiceProvider,
} from '../../src/dependency-injection/index.ts';

class HttpClient {}
class WeatherApi {
  readonly http: HttpClient;
  constructor(http: HttpClient) {
    this.http = http;
  }
}
class Database {}
class LogStore {
  readonly db: Database;
  constructor(db: Database) {
    this.db = db;
  }
}
class Parser {}

/** A disposable that records its disposal in `log`. */
class Resource implements AsyncDisposable {
  readonly name: string;
  readonly log: string[];
  constructor(name: string, log: string[]) {
    this.name = name;
    this.log = log;
  }
  async [Symbol.asyncDispose](): Promise<void> {
    this.log.push(this.name);
  }
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

async function rejected(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('ServiceProvider', () => {
  describe('lifetimes', () => {
    it('creates a singleton once, lazily, when first resolved', () => {
      let created = 0;
      const provider = new ServiceCollection()
        .addSingleton(HttpClient, () => {
          created++;
          return new HttpClient();
        })
        .build();
      expect(created).toBe(0);
      const first = provider.get(HttpClient);
      const scope = provider.createScope();
      expect(scope.get(HttpClient)).toBe(first);
      expect(provider.get(HttpClient)).toBe(first);
      expect(created).toBe(1);
    });

    it('passes a resolver to a factory registered without a dependency list', () => {
      const provider = new ServiceCollection()
        .addSingleton(HttpClient, () => new HttpClient())
        .addSingleton(WeatherApi, (sp) => new WeatherApi(sp.get(HttpClient)))
        .build();
      expect(provider.get(WeatherApi).http).toBe(provider.get(HttpClient));
    });

    it('resolves a dependency list in order when calling the factory', () => {
      const Host = createToken<string>('Host');
      const Port = createToken<number>('Port');
      const Url = createToken<string>('Url');
      const provider = new ServiceCollection()
        .addInstance(Host, 'example.org')
        .addInstance(Port, 8080)
        .addSingleton(Url, [Host, Port], (host, port) => `http://${host}:${port}`)
        .build();
      expect(provider.get(Url)).toBe('http://example.org:8080');
    });

    it('creates one scoped instance per scope when resolved several times', () => {
      const provider = new ServiceCollection()
        .addSingleton(Database, () => new Database())
        .addScoped(LogStore, [Database], (db) => new LogStore(db))
        .build();
      const first = provider.createScope();
      const second = provider.createScope();
      expect(first.get(LogStore)).toBe(first.get(LogStore));
      expect(second.get(LogStore)).not.toBe(first.get(LogStore));
      expect(second.get(LogStore).db).toBe(first.get(LogStore).db);
    });

    it('creates a new transient on every resolution', () => {
      const provider = new ServiceCollection().addTransient(Parser, () => new Parser()).build();
      const scope = provider.createScope();
      expect(provider.get(Parser)).not.toBe(provider.get(Parser));
      expect(scope.get(Parser)).not.toBe(scope.get(Parser));
    });

    it('returns the given value when a token is registered with addInstance', () => {
      const config = { region: 'eu' };
      const Config = createToken<{ region: string }>('Config');
      const provider = new ServiceCollection().addInstance(Config, config).build();
      expect(provider.get(Config)).toBe(config);
      expect(provider.createScope().get(Config)).toBe(config);
    });
  });

  describe('factory errors', () => {
    it('propagates a factory error unchanged and retries the singleton on the next resolution', () => {
      const failure = new Error('not yet');
      let attempts = 0;
      const provider = new ServiceCollection()
        .addSingleton(HttpClient, () => {
          if (++attempts === 1) throw failure;
          return new HttpClient();
        })
        .build();
      expect(thrown(() => provider.get(HttpClient))).toBe(failure);
      expect(provider.get(HttpClient)).toBe(provider.get(HttpClient));
      expect(attempts).toBe(2);
    });

    it('keeps resolving normally in a scope after a factory has thrown', () => {
      let fail = true;
      const provider = new ServiceCollection()
        .addSingleton(Database, () => new Database())
        .addScoped(LogStore, [Database], (db) => {
          if (fail) throw new Error('once');
          return new LogStore(db);
        })
        .build();
      const scope = provider.createScope();
      expect(() => scope.get(LogStore)).toThrow('once');
      fail = false;
      expect(scope.get(LogStore)).toBe(scope.get(LogStore));
      expect(() => provider.get(LogStore)).toThrow(CaptiveDependencyError);
    });
  });

  describe('multi-registration', () => {
    it('returns the last registration from get when a token is registered twice', () => {
      const Greeting = createToken<string>('Greeting');
      const provider = new ServiceCollection()
        .addInstance(Greeting, 'hello')
        .addSingleton(Greeting, () => 'bonjour')
        .build();
      expect(provider.get(Greeting)).toBe('bonjour');
    });

    it('returns every registration in registration order from getAll', () => {
      const Plugin = createToken<{ id: string }>('Plugin');
      const provider = new ServiceCollection()
        .addSingleton(Plugin, () => ({ id: 'a' }))
        .addTransient(Plugin, () => ({ id: 'b' }))
        .addInstance(Plugin, { id: 'c' })
        .build();
      expect(provider.getAll(Plugin).map((plugin) => plugin.id)).toEqual(['a', 'b', 'c']);
      expect(provider.getAll(Plugin)[0]).toBe(provider.getAll(Plugin)[0]);
    });

    it('returns one scoped instance per registration from getAll in a scope', () => {
      const Handler = createToken<object>('Handler');
      const provider = new ServiceCollection()
        .addScoped(Handler, () => ({ n: 1 }))
        .addScoped(Handler, () => ({ n: 2 }))
        .build();
      const scope = provider.createScope();
      const all = scope.getAll(Handler);
      expect(all).toEqual([{ n: 1 }, { n: 2 }]);
      expect(scope.getAll(Handler)).toEqual(all);
      expect(scope.get(Handler)).toBe(all[1]);
    });

    it('returns an empty array from getAll when nothing is registered', () => {
      const provider = new ServiceCollection().build();
      expect(provider.getAll(Parser)).toEqual([]);
    });
  });

  describe('missing services', () => {
    it('throws ServiceNotFoundError naming the token when get finds no registration', () => {
      const provider = new ServiceCollection().build();
      expect(() => provider.get(Parser)).toThrow(new ServiceNotFoundError('Parser'));
      expect(() => provider.get(createToken('Clock'))).toThrow(`No service is registered for 'Clock'.`);
    });

    it('returns undefined from tryGet when no registration exists', () => {
      const provider = new ServiceCollection().addTransient(Parser, () => new Parser()).build();
      expect(provider.tryGet(HttpClient)).toBeUndefined();
      expect(provider.createScope().tryGet(HttpClient)).toBeUndefined();
      expect(provider.tryGet(Parser)).toBeInstanceOf(Parser);
    });

    it('still throws from tryGet when the registration exists but its own dependency is missing', () => {
      const provider = new ServiceCollection()
        .addTransient(WeatherApi, (sp) => new WeatherApi(sp.get(HttpClient)))
        .build();
      expect(() => provider.tryGet(WeatherApi)).toThrow(ServiceNotFoundError);
    });

    it('throws a TypeError naming the value when get is given something that is not a token', () => {
      const provider = new ServiceCollection().build();
      expect(() => provider.get(42 as never)).toThrow(
        new TypeError('Expected token to be a class or a token from createToken(), got 42 (number)'),
      );
    });
  });

  describe('lifetime checks at first resolution', () => {
    it('reports a singleton whose resolver factory gets a scoped service with both names when first resolved', () => {
      class WeatherCache {
        constructor(_store: LogStore) {}
      }
      const provider = new ServiceCollection()
        .addSingleton(Database, () => new Database())
        .addScoped(LogStore, [Database], (db) => new LogStore(db))
        .addSingleton(WeatherCache, (sp) => new WeatherCache(sp.get(LogStore)))
        .build();
      const scope = provider.createScope();
      const error = thrown(() => scope.get(WeatherCache)) as CaptiveDependencyError;
      expect(error).toBeInstanceOf(CaptiveDependencyError);
      expect(error.message).toMatch(/^Singleton 'WeatherCache' depends on scoped service 'LogStore': /);
      expect(error.singletonName).toBe('WeatherCache');
      expect(error.scopedName).toBe('LogStore');
    });

    it('reports the captive dependency again on every later resolution', () => {
      class WeatherCache {}
      const provider = new ServiceCollection()
        .addScoped(LogStore, () => new LogStore(new Database()))
        .addSingleton(WeatherCache, (sp) => (sp.get(LogStore), new WeatherCache()))
        .build();
      const scope = provider.createScope();
      expect(() => scope.get(WeatherCache)).toThrow(CaptiveDependencyError);
      expect(() => scope.get(WeatherCache)).toThrow(CaptiveDependencyError);
      expect(() => provider.get(WeatherCache)).toThrow(CaptiveDependencyError);
    });

    it('reports a singleton reaching a scoped service through a transient resolver factory with the path', () => {
      class Formatter {}
      class WeatherCache {}
      const provider = new ServiceCollection()
        .addScoped(LogStore, () => new LogStore(new Database()))
        .addTransient(Formatter, (sp) => (sp.get(LogStore), new Formatter()))
        .addSingleton(WeatherCache, [Formatter], () => new WeatherCache())
        .build();
      const error = thrown(() => provider.createScope().get(WeatherCache)) as CaptiveDependencyError;
      expect(error.message).toMatch(
        /^Singleton 'WeatherCache' depends on scoped service 'LogStore' \(WeatherCache -> Formatter -> LogStore\)/,
      );
    });

    it('reports a scoped service resolved from the root provider', () => {
      const provider = new ServiceCollection().addScoped(LogStore, () => new LogStore(new Database())).build();
      const error = thrown(() => provider.get(LogStore)) as CaptiveDependencyError;
      expect(error).toBeInstanceOf(CaptiveDependencyError);
      expect(error.message).toMatch(/^Scoped service 'LogStore' cannot be resolved from the root provider: /);
      expect(error.singletonName).toBeUndefined();
    });

    it('reports a scoped service reached from the root through a transient with both names', () => {
      const provider = new ServiceCollection()
        .addScoped(LogStore, () => new LogStore(new Database()))
        .addTransient(Parser, [LogStore], () => new Parser())
        .build();
      expect(() => provider.get(Parser)).toThrow(
        /^Scoped service 'LogStore' cannot be resolved from the root provider \(Parser -> LogStore\)/,
      );
      expect(provider.createScope().get(Parser)).toBeInstanceOf(Parser);
    });

    it('reports a cycle through resolver factories with its path when first resolved', () => {
      const A = createToken<object>('A');
      const B = createToken<object>('B');
      const provider = new ServiceCollection()
        .addTransient(A, (sp) => ({ b: sp.get(B) }))
        .addSingleton(B, (sp) => ({ a: sp.get(A) }))
        .build();
      const error = thrown(() => provider.get(A)) as CircularDependencyError;
      expect(error).toBeInstanceOf(CircularDependencyError);
      expect(error.message).toBe('Circular dependency: A -> B -> A.');
      // The failed attempt leaves no state behind: the next one reports the same cycle.
      expect(() => provider.get(B)).toThrow('Circular dependency: B -> A -> B.');
    });
  });

  describe('built-in services', () => {
    it('lets a singleton create scopes when ServiceScopeFactory is injected', async () => {
      const log: string[] = [];
      class Worker {
        readonly scopes: ServiceScopeFactory;
        constructor(scopes: ServiceScopeFactory) {
          this.scopes = scopes;
        }
        async runOnce(): Promise<LogStore> {
          await using scope = this.scopes.createScope();
          return scope.get(LogStore);
        }
      }
      const provider = new ServiceCollection()
        .addSingleton(Database, () => new Database())
        .addScoped(LogStore, [Database], (db) => Object.assign(new LogStore(db), {
          [Symbol.dispose]: () => log.push('store disposed'),
        }))
        .addSingleton(Worker, [ServiceScopeFactory], (scopes) => new Worker(scopes))
        .build();
      const worker = provider.get(Worker);
      const first = await worker.runOnce();
      const second = await worker.runOnce();
      expect(first).not.toBe(second);
      expect(log).toEqual(['store disposed', 'store disposed']);
    });

    it('resolves ServiceScopeFactory from the root and from a scope', () => {
      const provider = new ServiceCollection().build();
      expect(provider.get(ServiceScopeFactory)).toBe(provider);
      expect(provider.createScope().get(ServiceScopeFactory)).toBe(provider);
    });

    it('allows a singleton factory to resolve scoped services from a scope of its own', () => {
      class Seeder {
        readonly seeded: boolean;
        constructor(seeded: boolean) {
          this.seeded = seeded;
        }
      }
      const provider = new ServiceCollection()
        .addScoped(LogStore, () => new LogStore(new Database()))
        .addSingleton(Seeder, [ServiceScopeFactory], (scopes) => {
          const scope = scopes.createScope();
          return new Seeder(scope.get(LogStore) instanceof LogStore);
        })
        .build();
      expect(provider.get(Seeder).seeded).toBe(true);
    });

    it('resolves ServiceResolver to the scope in a scope and to the root for a singleton', () => {
      class Holder {
        readonly resolver: ServiceResolver;
        constructor(resolver: ServiceResolver) {
          this.resolver = resolver;
        }
      }
      const Scoped = createToken<Holder>('Scoped');
      const provider = new ServiceCollection()
        .addScoped(Scoped, [ServiceResolver], (resolver) => new Holder(resolver))
        .addSingleton(Holder, [ServiceResolver], (resolver) => new Holder(resolver))
        .build();
      const scope = provider.createScope();
      expect(scope.get(Scoped).resolver).toBe(scope);
      expect(scope.get(Holder).resolver).toBe(provider);
      expect(provider.get(ServiceResolver)).toBe(provider);
    });
  });

  describe('disposal', () => {
    function buildWithSingletons(log: string[]): ServiceProvider {
      const First = createToken<Resource>('First');
      const Second = createToken<Resource>('Second');
      return new ServiceCollection()
        .addSingleton(First, () => new Resource('first', log))
        .addSingleton(Second, [First], () => new Resource('second', log))
        .addTransient(Resource, () => new Resource('transient', log))
        .addSingleton(Database, (sp) => (sp.get(Second), sp.get(Resource), new Database()))
        .build();
    }

    it('disposes singletons and root transients in reverse creation order when the provider is disposed', async () => {
      const log: string[] = [];
      const provider = buildWithSingletons(log);
      provider.get(Database);
      expect(log).toEqual([]);
      await provider[Symbol.asyncDispose]();
      expect(log).toEqual(['transient', 'second', 'first']);
    });

    it('disposes only the singletons that were created when the provider is disposed', async () => {
      const log: string[] = [];
      const provider = buildWithSingletons(log);
      await provider[Symbol.asyncDispose]();
      expect(log).toEqual([]);
    });

    it('does not dispose a value registered with addInstance', async () => {
      const log: string[] = [];
      const provider = new ServiceCollection().addInstance(Resource, new Resource('instance', log)).build();
      provider.get(Resource);
      await provider[Symbol.asyncDispose]();
      expect(log).toEqual([]);
    });

    it('disposes a transient created by a singleton with the provider, not with the scope', async () => {
      const log: string[] = [];
      class Holder {}
      const provider = new ServiceCollection()
        .addTransient(Resource, () => new Resource('transient', log))
        .addSingleton(Holder, [Resource], () => new Holder())
        .build();
      {
        await using scope = provider.createScope();
        scope.get(Holder);
      }
      expect(log).toEqual([]);
      await provider[Symbol.asyncDispose]();
      expect(log).toEqual(['transient']);
    });

    it('collects every failure and throws an AggregateError when several singletons fail to dispose', async () => {
      const log: string[] = [];
      const A = createToken<object>('A');
      const B = createToken<object>('B');
      const C = createToken<object>('C');
      const provider = new ServiceCollection()
        .addSingleton(A, () => ({ [Symbol.dispose]: () => { throw new Error('a failed'); } }))
        .addSingleton(B, () => new Resource('b', log))
        .addSingleton(C, () => ({ [Symbol.asyncDispose]: () => Promise.reject(new Error('c failed')) }))
        .build();
      provider.get(A);
      provider.get(B);
      provider.get(C);
      const error = (await rejected(provider[Symbol.asyncDispose]())) as AggregateError;
      expect(error).toBeInstanceOf(AggregateError);
      expect(error.message).toBe(`2 services failed to dispose with the service provider: 'C', 'A'.`);
      expect(error.errors.map((e: Error) => e.message)).toEqual(['c failed', 'a failed']);
      expect(log).toEqual(['b']);
    });

    it('throws ObjectDisposedError naming the token when the provider is used after disposal', async () => {
      const provider = new ServiceCollection().addSingleton(Database, () => new Database()).build();
      const scope = provider.createScope();
      await provider[Symbol.asyncDispose]();
      expect(() => provider.get(Database)).toThrow(new ObjectDisposedError('service provider', 'Database'));
      expect(() => provider.get(Database)).toThrow(`Cannot resolve 'Database': the service provider has been disposed.`);
      expect(() => scope.get(Database)).toThrow(ObjectDisposedError);
      expect(() => provider.getAll(Database)).toThrow(ObjectDisposedError);
      expect(() => provider.createScope()).toThrow(`Cannot use the service provider: it has been disposed.`);
    });

    it('does nothing when the provider is disposed twice', async () => {
      const log: string[] = [];
      const provider = new ServiceCollection().addSingleton(Resource, () => new Resource('once', log)).build();
      provider.get(Resource);
      await provider[Symbol.asyncDispose]();
      await provider[Symbol.asyncDispose]();
      expect(log).toEqual(['once']);
    });
  });
});
