import type { HostLifetime, HostLifetimeContext, HostRunOutcome } from './host-lifetime.ts';

/**
 * The {@link HostLifetime} that needs no runtime: no signal handlers, no handle on the event loop,
 * no exit code. The host stops when something calls `stopApplication()` or `host.stop()`.
 *
 * The default of `Host.createApplicationBuilder()` when no runtime lifetime is given; right for
 * tests, for a host embedded in a larger application that owns the process, and for runtimes
 * without processes (browsers, workers). In a Node or Deno `main`, pass the adapter's console
 * lifetime instead: with this one, Node ends a `main` that only awaits `host.run()` at once
 * (exit code 13, unsettled top-level await), because nothing holds the event loop. (The
 * adapters' `runMain` attaches its console lifetime around the run of a host built with this one.)
 *
 * It records what the host told it, so a test can check that a run ended as expected.
 */
export class EmbeddedHostLifetime implements HostLifetime {
  #outcome: HostRunOutcome | undefined = undefined;
  #running = false;

  /** Whether the host is between `waitForStart` and `stop`. */
  get running(): boolean {
    return this.#running;
  }

  /** How the last `host.run()` ended; `undefined` until it has. */
  get outcome(): HostRunOutcome | undefined {
    return this.#outcome;
  }

  /** Resolves at once (or rejects with `signal.reason` if the start was already abandoned). */
  waitForStart(_context: HostLifetimeContext, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    this.#running = true;
    return Promise.resolve();
  }

  /** Resolves at once. */
  stop(_signal: AbortSignal): Promise<void> {
    this.#running = false;
    return Promise.resolve();
  }

  /** Records the outcome (see {@link outcome}). */
  complete(outcome: HostRunOutcome): void {
    this.#outcome = outcome;
  }
}
