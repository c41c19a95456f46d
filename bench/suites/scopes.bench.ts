/**
 * Scopes: one unit of work in a DI container. Create a scope, resolve two scoped services that
 * share one singleton, dispose the scope (which disposes both services).
 *
 * Judged against awilix, which has real scopes (`createScope()`, `Lifetime.SCOPED` registrations
 * cached per scope, `dispose()` calling their disposers): the same unit of work in the DI library
 * a Node developer reaches for when they want scopes. Printed as a note, not judged: the naive
 * inversify way (inversify has no scopes), a child container per scope with the scoped bindings
 * loaded from a `ContainerModule`, ended by `unbindAllAsync()`.
 *
 * A third case measures hostkit scopes over services bound the inversify way (the same module,
 * bound `inRequestScope`, taken over by hostkit at build): what a user coming with inversify pays
 * for inversify constructing each instance. No target: it is there to be watched.
 *
 * Every case checks its own work: both services see the root's one singleton, both are disposed
 * when the scope ends, and the counts of services created and disposed match the number of
 * scopes, so a case that cached across scopes or skipped a disposal fails the run.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { asFunction, type AwilixContainer, createContainer } from 'awilix';
import { Container, ContainerModule } from 'inversify';
import { ServiceCollection, type ServiceProvider } from '../../packages/core/src/index.ts';
import {
  type BenchCase,
  type CaseResult,
  judgeFaster,
  atMost,
  formatCount,
  measureHeapGrowth,
  measureInterleaved,
  runSuite,
  speedRatio,
} from '../lib/harness.ts';

const HOSTKIT = 'hostkit createScope + 2 scoped gets + asyncDispose';
const NAIVE = 'inversify child container + ContainerModule + unbindAllAsync';
const ADOPTED = 'hostkit createScope over inversify bindings + 2 gets + asyncDispose';
const AWILIX = 'awilix createScope + 2 scoped resolves + dispose';

/**
 * hostkit does this many scopes per item, the child containers one: hostkit is ~50-100 times
 * faster, so with the same count its samples would last a few ms (at the mercy of one time slice
 * of a neighbour's process) while inversify's last a second. Its ops/sec are scaled back to scopes
 * per second, so both cases report the same unit.
 */
const HOSTKIT_SCOPES_PER_ITEM = 50;
/** The same for the scopes over inversify bindings, where inversify constructs every instance. */
const ADOPTED_SCOPES_PER_ITEM = 10;
/** The same for awilix (measured 5-10 times slower than hostkit per scope). */
const AWILIX_SCOPES_PER_ITEM = 10;

/**
 * A macrotask turn (setImmediate) every this many scopes in the timed cases, as a server has
 * between requests. Without turns a sample is one long run of microtasks, one job, and inversify's
 * root keeps a WeakRef per child container (to invalidate its plan cache), whose target stays
 * alive until the job ends: every child then lives to the end of the sample, ~18 KB each (370 MB
 * for 20,000), and inversify slows down for a reason no server has. Even with a turn every 1,000
 * the children outlive the young generation and inversify is 15-20 % slower; from every 100 on,
 * more turns (every 10, every scope) no longer speed it up, and hostkit pays nothing measurable.
 */
const TURN_EVERY = 100;
/** The heap check turns the event loop less often: what is retained must not depend on it. */
const HEAP_TURN_EVERY = 10_000;

/** The singleton both scoped services depend on; counts what they do, for the checks. */
class Database {
  created = 0;
  disposed = 0;
}

/** A scoped service with a synchronous dispose. */
class OrderStore implements Disposable {
  readonly db: Database;
  disposed = false;

  constructor(db: Database) {
    this.db = db;
    db.created++;
  }

  [Symbol.dispose](): void {
    this.disposed = true;
    this.db.disposed++;
  }
}

/** A scoped service with an asynchronous dispose (awaited by both containers). */
class AuditLog implements AsyncDisposable {
  readonly db: Database;
  disposed = false;

  constructor(db: Database) {
    this.db = db;
    db.created++;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.disposed = true;
    this.db.disposed++;
  }
}

/** Throws unless both services of one scope use `db` and were disposed when the scope ended. */
function expectDisposed(name: string, db: Database, orders: OrderStore, audit: AuditLog): void {
  if (orders.db !== db || audit.db !== db) throw new Error(`${name}: a scoped service did not get the root's singleton`);
  if (!orders.disposed || !audit.disposed) throw new Error(`${name}: a scoped service was not disposed with its scope`);
}

/** Throws unless `scopes` scopes created and disposed exactly two services each. */
function expectCounts(name: string, db: Database, scopes: number, created: number, disposed: number): void {
  const made = db.created - created;
  const ended = db.disposed - disposed;
  if (made !== 2 * scopes || ended !== 2 * scopes) {
    throw new Error(`${name}: expected ${2 * scopes} services created and disposed over ${scopes} scopes, got ${made} created, ${ended} disposed`);
  }
}

function buildHostkit(): ServiceProvider {
  const services = new ServiceCollection();
  services.addSingleton(Database, () => new Database());
  services.addScoped(OrderStore, [Database], (db) => new OrderStore(db));
  services.addScoped(AuditLog, [Database], (db) => new AuditLog(db));
  return services.build();
}

/**
 * hostkit over an inversify module: the singleton and the two scoped services bound with
 * `toResolvedValue` and dependency lists, `inRequestScope` (one per hostkit scope), disposed by
 * the scope through their own `Symbol.dispose` / `Symbol.asyncDispose`.
 */
function buildAdopted(): ServiceProvider {
  const module = new ContainerModule(({ bind }) => {
    bind(Database).toResolvedValue(() => new Database()).inSingletonScope();
    bind(OrderStore).toResolvedValue((db: Database) => new OrderStore(db), [Database]).inRequestScope();
    bind(AuditLog).toResolvedValue((db: Database) => new AuditLog(db), [Database]).inRequestScope();
  });
  return new ServiceCollection().addContainerModule(module).build();
}

async function hostkitScopes(provider: ServiceProvider, n: number, turnEvery: number, name: string = HOSTKIT): Promise<void> {
  const db = provider.get(Database);
  const { created, disposed } = db;
  for (let i = 0; i < n; i++) {
    const scope = provider.createScope();
    const orders = scope.get(OrderStore);
    const audit = scope.get(AuditLog);
    await scope[Symbol.asyncDispose]();
    expectDisposed(name, db, orders, audit);
    if (i % turnEvery === turnEvery - 1) await nextTurn();
  }
  expectCounts(name, db, n, created, disposed);
}

/**
 * The naive inversify approach, written as a competent inversify 8 user would: the singleton
 * bound in the root, the scoped services in a module loaded into a child container per scope,
 * bound with `toResolvedValue` and a dependency list (no decorators, as hostkit),
 * `inSingletonScope` so each child makes one of each, `onDeactivation` to dispose them,
 * `unbindAllAsync` to end the scope (it awaits the deactivation of the async one). `load` is the
 * synchronous form: the module is.
 */
function buildInversify(): { root: Container; scoped: ContainerModule } {
  const root = new Container();
  root.bind(Database).toResolvedValue(() => new Database()).inSingletonScope();
  const scoped = new ContainerModule(({ bind }) => {
    bind(OrderStore)
      .toResolvedValue((db: Database) => new OrderStore(db), [Database])
      .inSingletonScope()
      .onDeactivation((store) => {
        store[Symbol.dispose]();
      });
    bind(AuditLog)
      .toResolvedValue((db: Database) => new AuditLog(db), [Database])
      .inSingletonScope()
      .onDeactivation((log) => log[Symbol.asyncDispose]());
  });
  return { root, scoped };
}

async function naiveScopes({ root, scoped }: { root: Container; scoped: ContainerModule }, n: number): Promise<void> {
  const db = root.get(Database);
  const { created, disposed } = db;
  for (let i = 0; i < n; i++) {
    const child = new Container({ parent: root });
    child.load(scoped);
    const orders = child.get(OrderStore);
    const audit = child.get(AuditLog);
    await child.unbindAllAsync();
    expectDisposed(NAIVE, db, orders, audit);
    if (i % TURN_EVERY === TURN_EVERY - 1) await nextTurn();
  }
  expectCounts(NAIVE, db, n, created, disposed);
}

interface AwilixCradle {
  db: Database;
  orders: OrderStore;
  audit: AuditLog;
}

/**
 * awilix 13 the way its README writes it: the default (PROXY) injection mode, factories with
 * `asFunction`, the singleton `.singleton()`, the two services `.scoped()` with a `.disposer()`
 * that calls their own dispose; a scope is `createScope()`, ended by `await scope.dispose()`,
 * which calls the disposers of what that scope resolved and awaits them.
 */
function buildAwilix(): AwilixContainer<AwilixCradle> {
  const container = createContainer<AwilixCradle>({ strict: true });
  container.register({
    db: asFunction(() => new Database()).singleton(),
    orders: asFunction(({ db }: AwilixCradle) => new OrderStore(db))
      .scoped()
      .disposer((store) => store[Symbol.dispose]()),
    audit: asFunction(({ db }: AwilixCradle) => new AuditLog(db))
      .scoped()
      .disposer((log) => log[Symbol.asyncDispose]()),
  });
  return container;
}

async function awilixScopes(root: AwilixContainer<AwilixCradle>, n: number): Promise<void> {
  const db = root.resolve('db');
  const { created, disposed } = db;
  for (let i = 0; i < n; i++) {
    const scope = root.createScope();
    const orders = scope.resolve('orders');
    const audit = scope.resolve('audit');
    await scope.dispose();
    expectDisposed(AWILIX, db, orders, audit);
    if (i % TURN_EVERY === TURN_EVERY - 1) await nextTurn();
  }
  expectCounts(AWILIX, db, n, created, disposed);
}

/** `result` measured in units of `factor` operations, as operations per second. */
function scaled(result: CaseResult, factor: number): CaseResult {
  return { name: result.name, opsPerSec: result.opsPerSec * factor, samples: result.samples.map((sample) => sample * factor) };
}

await runSuite(import.meta.url, async ({ quick }) => {
  const items = quick ? 4_000 : 20_000;
  const heapScopes = 1_000_000;
  const provider = buildHostkit();
  const inversify = buildInversify();
  const adopted = buildAdopted();
  const awilix = buildAwilix();
  const cases: BenchCase[] = [
    { name: AWILIX, run: (n) => awilixScopes(awilix, n * AWILIX_SCOPES_PER_ITEM) },
    { name: HOSTKIT, run: (n) => hostkitScopes(provider, n * HOSTKIT_SCOPES_PER_ITEM, TURN_EVERY) },
    { name: NAIVE, run: (n) => naiveScopes(inversify, n) },
    { name: ADOPTED, run: (n) => hostkitScopes(adopted, n * ADOPTED_SCOPES_PER_ITEM, TURN_EVERY, ADOPTED) },
  ];
  const measured = await measureInterleaved(cases, {
    items,
    rounds: quick ? 5 : 10,
    warmupRounds: 2,
    label: `scopes, ${formatCount(items)} child containers / ${formatCount(items * HOSTKIT_SCOPES_PER_ITEM)} hostkit scopes`,
  });
  const results = measured.map((result) =>
    result.name === HOSTKIT
      ? scaled(result, HOSTKIT_SCOPES_PER_ITEM)
      : result.name === ADOPTED
      ? scaled(result, ADOPTED_SCOPES_PER_ITEM)
      : result.name === AWILIX
      ? scaled(result, AWILIX_SCOPES_PER_ITEM)
      : result
  );
  // The provider is returned and kept reachable through the second GC: what it retains counts.
  const heapStarted = performance.now();
  const heapGrowthMb = await measureHeapGrowth(async () => {
    await hostkitScopes(provider, heapScopes, HEAP_TURN_EVERY);
    return provider;
  });
  const heapSeconds = (performance.now() - heapStarted) / 1000;
  return {
    cases: results,
    ratios: [
      judgeFaster(results, 'hostkit scope vs awilix scope', HOSTKIT, AWILIX, 5),
      atMost(`heap growth after ${formatCount(heapScopes)} scopes on one provider, MB`, heapGrowthMb, 5),
    ],
    notes: [
      `per sample: ${formatCount(items)} child containers, ${formatCount(items * HOSTKIT_SCOPES_PER_ITEM)} hostkit scopes, ` +
        `${formatCount(items * AWILIX_SCOPES_PER_ITEM)} awilix scopes, ` +
        `${formatCount(items * ADOPTED_SCOPES_PER_ITEM)} hostkit scopes over inversify bindings (reported per scope); ` +
        `a setImmediate turn every ${formatCount(TURN_EVERY)} scopes in all`,
      `not judged: hostkit scope vs inversify child container per scope (inversify has no scopes) = ${speedRatio(results, HOSTKIT, NAIVE).toFixed(2)}`,
      `hostkit scope over inversify bindings vs inversify child container per scope: ` +
        `${speedRatio(results, ADOPTED, NAIVE).toFixed(2)} (watched, no target)`,
      `heap check: ${formatCount(heapScopes)} scopes with a setImmediate turn every ${formatCount(HEAP_TURN_EVERY)}, ${heapSeconds.toFixed(1)} s`,
    ],
  };
});
