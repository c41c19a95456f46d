/**
 * The README's quick start, as a program you can run:
 *
 * ```sh
 * npm run start:quick-start -w @hostkit/samples        # Ctrl+C stops it
 * ```
 *
 * One background service ticks on a PeriodicTimer; each tick is a unit of work in its own DI
 * scope, with a scoped store over a singleton database. `runMain` supplies what the platform
 * has (signals, exit code, a clock that does not hold the process), so `main` is these few lines.
 * @module
 */
import {
  BackgroundService,
  Host,
  LoggerFactoryToken,
  PeriodicTimer,
  ServiceScopeFactory,
  TimeProviderToken,
  type HostApplicationBuilder,
  type HostApplicationBuilderOptions,
  type Logger,
  type LoggerFactory,
  type TimeProvider,
} from '@hostkit/core';
import { runMain } from '@hostkit/adapters/node';

/** A stand-in for a connection pool: one per process. */
export class Database {
  readonly rows: number[] = [];
}

/** One per unit of work: what a scope creates, it disposes when the unit ends. */
export class LogStore implements Disposable {
  readonly #database: Database;
  #open = true;

  constructor(database: Database) {
    this.#database = database;
  }

  deleteOlderThan(cutoff: number): number {
    if (!this.#open) throw new Error('LogStore used after its scope ended');
    const before = this.#database.rows.length;
    this.#database.rows.splice(0, this.#database.rows.filter((row) => row < cutoff).length);
    return before - this.#database.rows.length;
  }

  [Symbol.dispose](): void {
    this.#open = false;
  }
}

/** Every `period` ms, deletes the rows older than a minute, each tick in its own scope. */
export class CleanupService extends BackgroundService {
  readonly #scopes: ServiceScopeFactory;
  readonly #time: TimeProvider;
  readonly #logger: Logger;
  readonly #period: number;

  constructor(scopes: ServiceScopeFactory, time: TimeProvider, loggers: LoggerFactory, period = 1_000) {
    super();
    this.#scopes = scopes;
    this.#time = time;
    this.#logger = loggers.createLogger('CleanupService');
    this.#period = period;
  }

  protected override async execute(stopping: AbortSignal): Promise<void> {
    using timer = new PeriodicTimer(this.#period, { timeProvider: this.#time });
    // Fixed-rate ticks; ticks missed while a cleanup runs are coalesced, never replayed in a burst.
    while (await timer.waitForNextTick(stopping)) {
      await using scope = this.#scopes.createScope();
      const deleted = scope.get(LogStore).deleteOlderThan(this.#time.now() - 60_000);
      this.#logger.info('Cleanup tick', { deleted });
    }
  }
}

/** Builds the quick start's host; `main` runs it, tests build it with a manual clock. */
export function createQuickStartBuilder(options?: HostApplicationBuilderOptions): HostApplicationBuilder {
  const builder = Host.createApplicationBuilder(options);
  builder.services.addSingleton(Database, () => new Database());
  builder.services.addScoped(LogStore, [Database], (database) => new LogStore(database));
  builder.services.addHostedService(
    CleanupService,
    [ServiceScopeFactory, TimeProviderToken, LoggerFactoryToken],
    (scopes, time, loggers) => new CleanupService(scopes, time, loggers),
  );
  return builder;
}

if (import.meta.main) {
  await runMain(createQuickStartBuilder());
}
