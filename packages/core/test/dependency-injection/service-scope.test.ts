import { describe, expect, it } from 'vitest';
import {
  createToken,
  ObjectDisposedError,
  ServiceCollection,
  type ServiceScope,
} from '../../src/dependency-injection/index.ts';

/** A disposable that records its disposal in `log`; fails when `failWith` is given. */
class Resource implements AsyncDisposable {
  readonly name: string;
  readonly log: string[];
  readonly failWith: Error | undefined;
  constructor(name: string, log: string[], failWith?: Error) {
    this.name = name;
    this.log = log;
    this.failWith = failWith;
  }
  async [Symbol.asyncDispose](): Promise<void> {
    this.log.push(this.name);
    if (this.failWith !== undefined) throw this.failWith;
  }
}

/** Disposes synchronously only. */
class SyncResource implements Disposable {
  readonly name: string;
  readonly log: string[];
  constructor(name: string, log: string[]) {
    this.name = name;
    this.log = log;
  }
  [Symbol.dispose](): void {
    this.log.push(this.name);
  }
}

const Database = createToken<Resource>('Database');
const Repository = createToken<Resource>('Repository');
const UnitOfWork = createToken<Resource>('UnitOfWork');
const Parser = createToken<Resource>('Parser');

async function rejected(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('ServiceScope', () => {
  it('disposes scoped instances in reverse creation order when the scope ends', async () => {
    const log: string[] = [];
    const provider = new ServiceCollection()
      .addScoped(Database, () => new Resource('database', log))
      .addScoped(Repository, [Database], () => new Resource('repository', log))
      .addScoped(UnitOfWork, [Repository], () => new Resource('unit of work', log))
      .build();
    {
      await using scope = provider.createScope();
      scope.get(UnitOfWork);
      expect(log).toEqual([]);
    }
    expect(log).toEqual(['unit of work', 'repository', 'database']);
  });

  it('follows creation order, not registration order, when disposing', async () => {
    const log: string[] = [];
    const provider = new ServiceCollection()
      .addScoped(Database, () => new Resource('database', log))
      .addScoped(Repository, () => new Resource('repository', log))
      .build();
    const scope = provider.createScope();
    scope.get(Repository);
    scope.get(Database);
    await scope[Symbol.asyncDispose]();
    expect(log).toEqual(['database', 'repository']);
  });

  it('disposes transients created through the scope together with its scoped instances', async () => {
    const log: string[] = [];
    let parsers = 0;
    const provider = new ServiceCollection()
      .addScoped(Database, () => new Resource('database', log))
      .addTransient(Parser, [Database], () => new Resource(`parser ${++parsers}`, log))
      .build();
    const scope = provider.createScope();
    scope.get(Parser);
    scope.get(Parser);
    await scope[Symbol.asyncDispose]();
    expect(log).toEqual(['parser 2', 'parser 1', 'database']);
    log.length = 0;
    await provider[Symbol.asyncDispose]();
    expect(log).toEqual([]);
  });

  it('uses Symbol.dispose when an instance has no Symbol.asyncDispose', async () => {
    const log: string[] = [];
    const Sync = createToken<SyncResource>('Sync');
    const provider = new ServiceCollection()
      .addScoped(Sync, () => new SyncResource('sync', log))
      .addScoped(Database, () => new Resource('async', log))
      .build();
    const scope = provider.createScope();
    scope.get(Sync);
    scope.get(Database);
    await scope[Symbol.asyncDispose]();
    expect(log).toEqual(['async', 'sync']);
  });

  it('waits for each asynchronous disposal before starting the next', async () => {
    const log: string[] = [];
    const slow = {
      async [Symbol.asyncDispose](): Promise<void> {
        log.push('slow started');
        await Promise.resolve();
        await Promise.resolve();
        log.push('slow finished');
      },
    };
    const provider = new ServiceCollection()
      .addScoped(Database, () => new Resource('database', log))
      .addScoped(Repository, [Database], () => slow as unknown as Resource)
      .build();
    const scope = provider.createScope();
    scope.get(Repository);
    await scope[Symbol.asyncDispose]();
    expect(log).toEqual(['slow started', 'slow finished', 'database']);
  });

  it('disposes the others and rethrows the error as is when one disposal fails', async () => {
    const log: string[] = [];
    const failure = new Error('repository failed');
    const provider = new ServiceCollection()
      .addScoped(Database, () => new Resource('database', log))
      .addScoped(Repository, [Database], () => new Resource('repository', log, failure))
      .addScoped(UnitOfWork, [Repository], () => new Resource('unit of work', log))
      .build();
    const scope = provider.createScope();
    scope.get(UnitOfWork);
    expect(await rejected(scope[Symbol.asyncDispose]())).toBe(failure);
    expect(log).toEqual(['unit of work', 'repository', 'database']);
  });

  it('collects disposal errors into an AggregateError saying how many when several disposals fail', async () => {
    const log: string[] = [];
    const first = new Error('database failed');
    const second = new Error('unit of work failed');
    const provider = new ServiceCollection()
      .addScoped(Database, () => new Resource('database', log, first))
      .addScoped(Repository, [Database], () => new Resource('repository', log))
      .addScoped(UnitOfWork, [Repository], () => new Resource('unit of work', log, second))
      .build();
    const scope = provider.createScope();
    scope.get(UnitOfWork);
    const error = (await rejected(scope[Symbol.asyncDispose]())) as AggregateError;
    expect(error).toBeInstanceOf(AggregateError);
    expect(error.message).toBe(
      `2 services failed to dispose with the service scope: 'UnitOfWork', 'Database'.`,
    );
    expect(error.errors).toEqual([second, first]);
    expect(log).toEqual(['unit of work', 'repository', 'database']);
  });

  it('counts a synchronous throw from Symbol.dispose as a failed disposal', async () => {
    const failure = new Error('sync failed');
    const provider = new ServiceCollection()
      .addScoped(Database, () => ({ [Symbol.dispose]: () => { throw failure; } }) as unknown as Resource)
      .build();
    const scope = provider.createScope();
    scope.get(Database);
    expect(await rejected(scope[Symbol.asyncDispose]())).toBe(failure);
  });

  it('does nothing when the scope is disposed twice', async () => {
    const log: string[] = [];
    const provider = new ServiceCollection().addScoped(Database, () => new Resource('database', log)).build();
    const scope = provider.createScope();
    scope.get(Database);
    await scope[Symbol.asyncDispose]();
    await scope[Symbol.asyncDispose]();
    expect(log).toEqual(['database']);
  });

  it('throws ObjectDisposedError naming the token when the scope is used after disposal', async () => {
    const provider = new ServiceCollection().addScoped(Database, () => new Resource('database', [])).build();
    let escaped: ServiceScope;
    {
      await using scope = provider.createScope();
      escaped = scope;
    }
    const expected = new ObjectDisposedError('service scope', 'Database');
    expect(expected.message).toBe(`Cannot resolve 'Database': the service scope has been disposed.`);
    expect(() => escaped.get(Database)).toThrow(expected);
    expect(() => escaped.tryGet(Database)).toThrow(ObjectDisposedError);
    expect(() => escaped.getAll(Database)).toThrow(ObjectDisposedError);
  });

  it('refuses new resolutions as soon as disposal has begun', async () => {
    const provider = new ServiceCollection().addScoped(Database, () => new Resource('database', [])).build();
    const scope = provider.createScope();
    scope.get(Database);
    const disposal = scope[Symbol.asyncDispose]();
    expect(() => scope.get(Database)).toThrow(ObjectDisposedError);
    await disposal;
  });

  it('disposes nothing of another scope when one scope ends', async () => {
    const log: string[] = [];
    let n = 0;
    const provider = new ServiceCollection().addScoped(Database, () => new Resource(`database ${++n}`, log)).build();
    const first = provider.createScope();
    const second = provider.createScope();
    first.get(Database);
    second.get(Database);
    await second[Symbol.asyncDispose]();
    expect(log).toEqual(['database 2']);
    expect(first.get(Database).name).toBe('database 1');
  });

  it('ignores instances that are not disposable when the scope ends', async () => {
    const Plain = createToken<{ value: number }>('Plain');
    const provider = new ServiceCollection().addScoped(Plain, () => ({ value: 1 })).build();
    const scope = provider.createScope();
    scope.get(Plain);
    await expect(scope[Symbol.asyncDispose]()).resolves.toBeUndefined();
  });

  it('creates a scoped service once when its factory returns undefined', () => {
    let calls = 0;
    const Nothing = createToken<undefined>('Nothing');
    const provider = new ServiceCollection()
      .addScoped(Nothing, () => {
        calls++;
        return undefined;
      })
      .build();
    const scope = provider.createScope();
    expect(scope.get(Nothing)).toBeUndefined();
    expect(scope.get(Nothing)).toBeUndefined();
    expect(calls).toBe(1);
  });

  it('resolves a scoped service for a resolver factory in the scope that resolves it', () => {
    class Handler {
      readonly database: Resource;
      constructor(database: Resource) {
        this.database = database;
      }
    }
    const provider = new ServiceCollection()
      .addScoped(Database, () => new Resource('database', []))
      .addTransient(Handler, (sp) => new Handler(sp.get(Database)))
      .build();
    const scope = provider.createScope();
    expect(scope.get(Handler).database).toBe(scope.get(Database));
  });
});
