/**
 * The consumer test's host, written as a user of the published packages writes it: only
 * `@hostkit/core`'s main entry, no monorepo paths or conditions. A producer ticks on a
 * PeriodicTimer and writes job numbers into a bounded channel; a consumer reads them, each job in
 * its own DI scope with a scoped, disposable `JobContext`. The process entry (Node or Deno) adds
 * `runMain`, which stops the host on SIGTERM.
 */
import {
  BackgroundService,
  createBoundedChannel,
  PeriodicTimer,
  ServiceScopeFactory,
  TimeProviderToken,
  type Channel,
  type HostApplicationBuilder,
  type TimeProvider,
} from '@hostkit/core';

/** What the run did; `main` prints it after the host has stopped. */
export class Stats {
  produced = 0;
  processed = 0;
  disposed = 0;
}

/** One per job: created by the job's scope, disposed when the scope ends. */
export class JobContext implements Disposable {
  readonly #stats: Stats;
  constructor(stats: Stats) {
    this.#stats = stats;
  }
  [Symbol.dispose](): void {
    this.#stats.disposed += 1;
  }
}

class Jobs {
  readonly channel: Channel<number> = createBoundedChannel<number>({ capacity: 4, fullMode: 'wait' });
}

class Producer extends BackgroundService {
  readonly #jobs: Jobs;
  readonly #time: TimeProvider;
  readonly #stats: Stats;
  constructor(jobs: Jobs, time: TimeProvider, stats: Stats) {
    super();
    this.#jobs = jobs;
    this.#time = time;
    this.#stats = stats;
  }
  protected override async execute(stopping: AbortSignal): Promise<void> {
    using timer = new PeriodicTimer(10, { timeProvider: this.#time });
    while (await timer.waitForNextTick(stopping)) {
      await this.#jobs.channel.writer.write(++this.#stats.produced, stopping);
    }
  }
}

class Consumer extends BackgroundService {
  readonly #jobs: Jobs;
  readonly #scopes: ServiceScopeFactory;
  readonly #stats: Stats;
  readonly #ready: () => void;
  constructor(jobs: Jobs, scopes: ServiceScopeFactory, stats: Stats, ready: () => void) {
    super();
    this.#jobs = jobs;
    this.#scopes = scopes;
    this.#stats = stats;
    this.#ready = ready;
  }
  protected override async execute(stopping: AbortSignal): Promise<void> {
    for await (const job of this.#jobs.channel.reader.readAll(stopping)) {
      await using scope = this.#scopes.createScope();
      scope.get(JobContext);
      this.#stats.processed += 1;
      if (job === 5) this.#ready();
    }
  }
}

/** Registers the services on a builder that the platform's `createXHostBuilder` made. */
export function configure(builder: HostApplicationBuilder, stats: Stats): HostApplicationBuilder {
  let announced = false;
  const ready = (): void => {
    if (announced) return;
    announced = true;
    console.log('consumer-host: ready');
  };
  builder.services.addSingleton(Stats, () => stats);
  builder.services.addSingleton(Jobs, () => new Jobs());
  builder.services.addScoped(JobContext, [Stats], (s) => new JobContext(s));
  builder.services.addHostedService(Producer, [Jobs, TimeProviderToken, Stats], (jobs, time, s) => new Producer(jobs, time, s));
  builder.services.addHostedService(Consumer, [Jobs, ServiceScopeFactory, Stats], (jobs, scopes, s) => new Consumer(jobs, scopes, s, ready));
  return builder;
}

/** The line the test checks after the host has stopped. */
export function summary(stats: Stats, exitCode: number): string {
  return `consumer-host: stopped exitCode=${exitCode} produced=${stats.produced} processed=${stats.processed} disposed=${stats.disposed}`;
}
