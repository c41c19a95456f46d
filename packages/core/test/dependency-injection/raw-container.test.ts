/**
 * The inversify container under hostkit, for users who bind their own classes with inversify.
 *
 * The test tsconfig has no `experimentalDecorators`, and inversify's decorators are legacy-only,
 * so these tests apply inversify's decorators with `decorate()` rather than `@` syntax: the same
 * metadata a decorated class carries.
 */
import { Container, decorate, inject, injectable } from 'inversify';
import { describe, expect, it } from 'vitest';
import {
  CaptiveDependencyError,
  createToken,
  ServiceCollection,
  ServiceNotFoundError,
} from '../../src/dependency-injection/index.ts';

class Database {}
class LogStore {
  readonly db: Database;
  constructor(db: Database) {
    this.db = db;
  }
}

/** A user class wired with inversify's decorators (as `@injectable()` and `@inject(Database)`). */
class Reporter {
  readonly db: Database;
  readonly store: LogStore;
  constructor(db: Database, store: LogStore) {
    this.db = db;
    this.store = store;
  }
}
decorate(injectable(), Reporter);
decorate(inject(Database), Reporter, 0);
decorate(inject(LogStore), Reporter, 1);

describe('ServiceCollection.container', () => {
  it('resolves a user class bound with inversify decorators through the raw container', () => {
    const services = new ServiceCollection()
      .addSingleton(Database, () => new Database())
      .addScoped(LogStore, [Database], (db) => new LogStore(db));
    services.container.bind(Reporter).toSelf().inTransientScope();
    const provider = services.build();
    const scope = provider.createScope();
    const reporter = scope.get(Reporter);
    expect(reporter.db).toBe(provider.get(Database));
    expect(reporter.store).toBe(scope.get(LogStore));
  });

  it('reaches a registration under a token through the token symbol', () => {
    const Greeting = createToken<string>('Greeting');
    class Greeter {
      readonly greeting: string;
      constructor(greeting: string) {
        this.greeting = greeting;
      }
    }
    decorate(injectable(), Greeter);
    decorate(inject(Greeting.symbol), Greeter, 0);
    const services = new ServiceCollection().addInstance(Greeting, 'hello');
    services.container.bind(Greeter).toSelf();
    const provider = services.build();
    expect(provider.get(Greeter).greeting).toBe('hello');
    expect(provider.container.get(Greeting.symbol)).toBe('hello');
  });

  it('accepts a raw binding in a dependency list when building', () => {
    const Endpoint = createToken<string>('Endpoint');
    class Client {
      readonly endpoint: string;
      constructor(endpoint: string) {
        this.endpoint = endpoint;
      }
    }
    const services = new ServiceCollection().addSingleton(Client, [Endpoint], (endpoint) => new Client(endpoint));
    services.container.bind(Endpoint.symbol).toConstantValue('https://example.org');
    expect(services.build().get(Client).endpoint).toBe('https://example.org');
  });

  it('gives getAll the raw bindings when hostkit has no registration for the token', () => {
    const Plugin = createToken<string>('Plugin');
    const services = new ServiceCollection();
    services.container.bind(Plugin.symbol).toConstantValue('a');
    services.container.bind(Plugin.symbol).toConstantValue('b');
    const provider = services.build();
    expect(provider.getAll(Plugin)).toEqual(['a', 'b']);
    expect(provider.tryGet(createToken('Other'))).toBeUndefined();
    expect(() => provider.get(createToken('Other'))).toThrow(ServiceNotFoundError);
  });

  it('binds into the container given in the options', () => {
    const container = new Container();
    const services = new ServiceCollection({ container }).addSingleton(Database, () => new Database());
    const provider = services.build();
    expect(provider.container).toBe(container);
    expect(container.get(Database)).toBe(provider.get(Database));
  });

  it('runs the deactivation of a taken-over binding in reverse creation order when the provider is disposed', async () => {
    const log: string[] = [];
    class Connection {}
    const services = new ServiceCollection().addSingleton(Database, () =>
      Object.assign(new Database(), { [Symbol.dispose]: () => log.push('hostkit singleton') }),
    );
    services.container
      .bind(Connection)
      .toResolvedValue(() => new Connection())
      .inSingletonScope()
      .onDeactivation(() => {
        log.push('raw singleton');
      });
    const provider = services.build();
    provider.get(Database);
    provider.get(Connection);
    await provider[Symbol.asyncDispose]();
    expect(log).toEqual(['raw singleton', 'hostkit singleton']);
  });

  it('runs inversify deactivation for what stays inversify\'s when the provider is disposed', async () => {
    const log: string[] = [];
    const Connection = createToken<object>('Connection');
    const services = new ServiceCollection().addSingleton(Database, () =>
      Object.assign(new Database(), { [Symbol.dispose]: () => log.push('hostkit singleton') }),
    );
    // A dynamic value stays inversify's: hostkit only takes over classes and resolved values.
    services.container
      .bind(Connection.symbol)
      .toDynamicValue(() => ({}))
      .inSingletonScope()
      .onDeactivation(() => {
        log.push('raw singleton');
      });
    const provider = services.build();
    provider.get(Database);
    provider.get(Connection);
    await provider[Symbol.asyncDispose]();
    expect(log).toEqual(['hostkit singleton', 'raw singleton']);
  });

  it('reports a resolved-value singleton that injects a hostkit scoped service as captive when building', () => {
    class RawCache {
      readonly store: LogStore;
      constructor(store: LogStore) {
        this.store = store;
      }
    }
    const services = new ServiceCollection().addScoped(LogStore, () => new LogStore(new Database()));
    services.container
      .bind(RawCache)
      .toResolvedValue((store: LogStore) => new RawCache(store), [LogStore])
      .inSingletonScope();
    // Before, inversify's own singleton kept the first scope's instance forever.
    expect(() => services.build()).toThrow(CaptiveDependencyError);
  });

  it('gives a resolved-value binding in request scope one instance per hostkit scope', () => {
    class Report {
      readonly store: LogStore;
      constructor(store: LogStore) {
        this.store = store;
      }
    }
    const services = new ServiceCollection().addScoped(LogStore, () => new LogStore(new Database()));
    services.container
      .bind(Report)
      .toResolvedValue((store: LogStore) => new Report(store), [LogStore])
      .inRequestScope();
    const provider = services.build();
    const scope = provider.createScope();
    expect(scope.get(Report)).toBe(scope.get(Report));
    expect(scope.get(Report).store).toBe(scope.get(LogStore));
    expect(provider.createScope().get(Report)).not.toBe(scope.get(Report));
  });

  it('disposes a taken-over instance once when a second collection builds over the same container', async () => {
    let disposals = 0;
    const container = new Container();
    container
      .bind(Database)
      .toResolvedValue(() => Object.assign(new Database(), { [Symbol.dispose]: () => disposals++ }))
      .inRequestScope();
    const first = new ServiceCollection({ container }).build();
    const second = new ServiceCollection({ container }).addSingleton(LogStore, () => new LogStore(new Database())).build();
    const scope = first.createScope();

    expect(scope.get(Database)).toBeInstanceOf(Database);
    await scope[Symbol.asyncDispose]();
    await second[Symbol.asyncDispose]();
    // Made and disposed by the first provider's scope alone.
    expect(disposals).toBe(1);
  });

  it('leaves a raw singleton under a when constraint to inversify (documented limit)', () => {
    class RawCache {
      readonly store: LogStore;
      constructor(store: LogStore) {
        this.store = store;
      }
    }
    const services = new ServiceCollection().addScoped(LogStore, () => new LogStore(new Database()));
    services.container
      .bind(RawCache)
      .toResolvedValue((store: LogStore) => new RawCache(store), [LogStore])
      .inSingletonScope()
      .when(() => true);
    const provider = services.build();
    const scope = provider.createScope();
    // A conditional binding is inversify's: its singleton keeps the first scope's instance.
    expect(scope.get(RawCache).store).toBe(scope.get(LogStore));
    expect(provider.createScope().get(RawCache).store).toBe(scope.get(LogStore));
  });
});
