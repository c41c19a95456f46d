import { describe, expect, it } from 'vitest';
import {
  CaptiveDependencyError,
  CircularDependencyError,
  createToken,
  ServiceCollection,
  ServiceNotFoundError,
  ServiceResolver,
  ServiceScopeFactory,
  Token,
} from '../../src/dependency-injection/index.ts';
import { TimeProviderToken } from '../../src/hosting/index.ts';
import { systemTimeProvider, TimeProvider } from '../../src/time/index.ts';

class Database {}
class LogStore {
  readonly db: Database;
  constructor(db: Database) {
    this.db = db;
  }
}
class Formatter {
  readonly store: LogStore;
  constructor(store: LogStore) {
    this.store = store;
  }
}
class WeatherCache {
  readonly formatter: Formatter;
  constructor(formatter: Formatter) {
    this.formatter = formatter;
  }
}

/** Calls `fn` and returns what it threw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('createToken', () => {
  it('creates a token that carries its name for error messages when given a name', () => {
    const clock = createToken<{ now(): number }>('Clock');
    expect(clock).toBeInstanceOf(Token);
    expect(clock.name).toBe('Clock');
    expect(typeof clock.symbol).toBe('symbol');
    expect(String(clock)).toBe('Token(Clock)');
  });

  it('creates distinct tokens when two tokens share a name', () => {
    const services = new ServiceCollection();
    const first = createToken<string>('Name');
    const second = createToken<string>('Name');
    services.addInstance(first, 'first').addInstance(second, 'second');
    const provider = services.build();
    expect(provider.get(first)).toBe('first');
    expect(provider.get(second)).toBe('second');
  });

  it('throws a TypeError naming the value when the name is not a non-empty string', () => {
    expect(() => createToken('')).toThrow(new TypeError('Expected token name to be a non-empty string, got "" (string)'));
    expect(() => createToken(42 as unknown as string)).toThrow(/got 42 \(number\)/);
  });
});

describe('ServiceCollection', () => {
  describe('registration', () => {
    it('throws a TypeError naming the value when the token is neither a class nor a token', () => {
      const services = new ServiceCollection();
      expect(() => services.addSingleton(42 as never, () => 1)).toThrow(
        new TypeError('Expected token to be a class or a token from createToken(), got 42 (number)'),
      );
      expect(() => services.addInstance('Config' as never, {})).toThrow(/got "Config" \(string\)/);
      expect(() => services.addScoped(Symbol('raw') as never, () => 1)).toThrow(/got Symbol\(raw\) \(symbol\)/);
    });

    it('throws a TypeError naming the service when the factory is not a function', () => {
      const services = new ServiceCollection();
      expect(() => services.addSingleton(Database, 'nope' as never)).toThrow(
        new TypeError(`Expected the factory of 'Database' to be a function, got "nope" (string)`),
      );
      expect(() => services.addTransient(Database, [], undefined as never)).toThrow(
        new TypeError(`Expected the factory of 'Database' to be a function, got undefined (undefined)`),
      );
    });

    it('throws a TypeError naming the service when the dependency list is not an array', () => {
      const services = new ServiceCollection();
      expect(() => services.addScoped(LogStore, Database as never, (() => new LogStore(new Database())) as never)).toThrow(
        new TypeError(
          `Expected the dependencies of 'LogStore' to be an array of classes or tokens, got class or function Database (function)`,
        ),
      );
    });

    it('throws a TypeError naming the position when a dependency is not a token', () => {
      const services = new ServiceCollection();
      expect(() => services.addScoped(LogStore, [Database, null] as never, (() => new LogStore(new Database())) as never)).toThrow(
        new TypeError(
          `Expected dependencies[1] of 'LogStore' to be a class or a token from createToken(), got null (null)`,
        ),
      );
    });

    it('refuses to register the tokens the provider supplies itself', () => {
      const services = new ServiceCollection();
      expect(() => services.addInstance(ServiceScopeFactory, { createScope: () => never() })).toThrow(TypeError);
      expect(() => services.addTransient(ServiceResolver, (sp) => sp)).toThrow(
        `'ServiceResolver' is provided by the service provider and cannot be registered`,
      );
    });

    it('accepts abstract classes as tokens when registering an implementation', () => {
      abstract class Animal {
        abstract speak(): string;
      }
      class Dog extends Animal {
        speak(): string {
          return 'woof';
        }
      }
      const provider = new ServiceCollection().addSingleton(Animal, () => new Dog()).build();
      expect(provider.get(Animal).speak()).toBe('woof');
    });

    it('reports whether a token has a registration when asked with has', () => {
      const services = new ServiceCollection().addSingleton(Database, () => new Database());
      expect(services.has(Database)).toBe(true);
      expect(services.has(LogStore)).toBe(false);
    });

    it('throws when registering after build', () => {
      const services = new ServiceCollection();
      services.build();
      expect(() => services.addSingleton(Database, () => new Database())).toThrow(/already been built/);
      expect(() => services.build()).toThrow(/already been built/);
    });
  });

  describe('validation at build', () => {
    it('reports a dependency list naming an unregistered token with both names when building', () => {
      const services = new ServiceCollection().addScoped(LogStore, [Database], (db) => new LogStore(db));
      const error = thrown(() => services.build());
      expect(error).toBeInstanceOf(ServiceNotFoundError);
      expect((error as ServiceNotFoundError).message).toBe(`'LogStore' depends on 'Database', which is not registered.`);
      expect((error as ServiceNotFoundError).serviceName).toBe('Database');
      expect((error as ServiceNotFoundError).requiredBy).toBe('LogStore');
    });

    it('names the registered token when a dependency list names the class of the same name', () => {
      class Clock {
        readonly time: TimeProvider;
        constructor(time: TimeProvider) {
          this.time = time;
        }
      }
      const services = new ServiceCollection()
        .addInstance(TimeProviderToken, systemTimeProvider)
        .addSingleton(Clock, [TimeProvider], (time) => new Clock(time));

      const error = thrown(() => services.build());

      expect(error).toBeInstanceOf(ServiceNotFoundError);
      expect((error as ServiceNotFoundError).message).toBe(
        `'Clock' depends on 'TimeProvider', which is not registered. ` +
          `A token named 'TimeProvider' is registered: list the token (e.g. TimeProviderToken) instead of the class TimeProvider.`,
      );
    });

    it('names the registered token when the class of the same name is resolved', () => {
      const provider = new ServiceCollection().addInstance(TimeProviderToken, systemTimeProvider).build();

      expect(() => provider.get(TimeProvider)).toThrow(
        `No service is registered for 'TimeProvider'. ` +
          `A token named 'TimeProvider' is registered: list the token (e.g. TimeProviderToken) instead of the class TimeProvider.`,
      );
    });

    it('builds and resolves when written as the class documentation shows', async () => {
      class Clock {
        readonly time: TimeProvider;
        constructor(time: TimeProvider) {
          this.time = time;
        }
      }
      class Parser {}
      const services = new ServiceCollection();
      services.addInstance(TimeProviderToken, systemTimeProvider);
      services.addSingleton(Clock, [TimeProviderToken], (time) => new Clock(time));
      services.addSingleton(Database, () => new Database());
      services.addScoped(LogStore, [Database], (db) => new LogStore(db));
      services.addTransient(Parser, () => new Parser());
      const provider = services.build();
      await using scope = provider.createScope();

      expect(scope.get(LogStore).db).toBe(provider.get(Database));
      expect(provider.get(Clock).time).toBe(systemTimeProvider);
    });

    it('reports a singleton depending on a scoped service with both names when building', () => {
      const services = new ServiceCollection()
        .addSingleton(Database, () => new Database())
        .addScoped(LogStore, [Database], (db) => new LogStore(db))
        .addSingleton(Formatter, [LogStore], (store) => new Formatter(store));
      const error = thrown(() => services.build());
      expect(error).toBeInstanceOf(CaptiveDependencyError);
      expect((error as Error).message).toMatch(/^Singleton 'Formatter' depends on scoped service 'LogStore': /);
      expect((error as CaptiveDependencyError).singletonName).toBe('Formatter');
      expect((error as CaptiveDependencyError).scopedName).toBe('LogStore');
    });

    it('reports a singleton reaching a scoped service through transients with the path when building', () => {
      const services = new ServiceCollection()
        .addSingleton(Database, () => new Database())
        .addScoped(LogStore, [Database], (db) => new LogStore(db))
        .addTransient(Formatter, [LogStore], (store) => new Formatter(store))
        .addSingleton(WeatherCache, [Formatter], (formatter) => new WeatherCache(formatter));
      const error = thrown(() => services.build()) as CaptiveDependencyError;
      expect(error).toBeInstanceOf(CaptiveDependencyError);
      expect(error.message).toMatch(
        /^Singleton 'WeatherCache' depends on scoped service 'LogStore' \(WeatherCache -> Formatter -> LogStore\)/,
      );
      expect(error.path).toEqual(['WeatherCache', 'Formatter', 'LogStore']);
    });

    it('accepts a transient depending on a scoped service when building', () => {
      const services = new ServiceCollection()
        .addSingleton(Database, () => new Database())
        .addScoped(LogStore, [Database], (db) => new LogStore(db))
        .addTransient(Formatter, [LogStore], (store) => new Formatter(store));
      expect(() => services.build()).not.toThrow();
    });

    it('reports a cycle in dependency lists with its path when building', () => {
      const A = createToken<unknown>('A');
      const B = createToken<unknown>('B');
      const C = createToken<unknown>('C');
      const services = new ServiceCollection()
        .addTransient(A, [B], (b) => ({ b }))
        .addTransient(B, [C], (c) => ({ c }))
        .addTransient(C, [A], (a) => ({ a }));
      const error = thrown(() => services.build()) as CircularDependencyError;
      expect(error).toBeInstanceOf(CircularDependencyError);
      expect(error.message).toBe('Circular dependency: A -> B -> C -> A.');
      expect(error.path).toEqual(['A', 'B', 'C', 'A']);
    });

    it('reports every problem in one AggregateError when building finds several', () => {
      const Missing = createToken<unknown>('Missing');
      const services = new ServiceCollection()
        .addScoped(LogStore, [Database], (db) => new LogStore(db))
        .addSingleton(Formatter, [LogStore], (store) => new Formatter(store))
        .addSingleton(WeatherCache, [Missing], () => new WeatherCache(never()));
      const error = thrown(() => services.build()) as AggregateError;
      expect(error).toBeInstanceOf(AggregateError);
      expect(error.errors).toHaveLength(3);
      expect(error.message).toMatch(/^3 problems found while building the service provider:\n- /);
      expect(error.message).toContain(`'LogStore' depends on 'Database', which is not registered.`);
      expect(error.message).toContain(`'WeatherCache' depends on 'Missing', which is not registered.`);
      expect(error.message).toContain(`Singleton 'Formatter' depends on scoped service 'LogStore'`);
    });

    it('binds nothing and allows a retry when building fails', () => {
      const services = new ServiceCollection().addScoped(LogStore, [Database], (db) => new LogStore(db));
      expect(() => services.build()).toThrow(ServiceNotFoundError);
      expect(services.container.isBound(LogStore)).toBe(false);
      services.addSingleton(Database, () => new Database());
      const provider = services.build();
      expect(provider.createScope().get(LogStore).db).toBe(provider.get(Database));
    });

    it('accepts the built-in tokens in dependency lists when building', () => {
      class Worker {
        readonly scopes: ServiceScopeFactory;
        readonly resolver: ServiceResolver;
        constructor(scopes: ServiceScopeFactory, resolver: ServiceResolver) {
          this.scopes = scopes;
          this.resolver = resolver;
        }
      }
      const provider = new ServiceCollection()
        .addSingleton(Worker, [ServiceScopeFactory, ServiceResolver], (scopes, resolver) => new Worker(scopes, resolver))
        .build();
      const worker = provider.get(Worker);
      expect(worker.scopes).toBe(provider);
      expect(worker.resolver).toBe(provider);
    });
  });
});

function never(): never {
  throw new Error('not called');
}
