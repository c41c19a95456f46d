import type { ConsoleRuntime } from './console-runtime.ts';

/** One `runMain` under way; {@link ProcessExit.beginRun}. */
export interface ProcessExitRun {
  /**
   * Called once, when the run is over: with the code the process is to exit with, or `undefined`
   * when this run leaves the process alone (`exitProcess: false`, or it rejected).
   */
  end(code: number | undefined): void;
}

/**
 * Ends the process once the last `runMain` of the runtime is over, with the highest code those
 * runs asked for, even if something still holds the process (a timer or a socket of a service the
 * host abandoned at `shutdownTimeout`).
 *
 * The exit waits for a timer that does not hold the process itself (the runtime's clock): the
 * code that awaited `runMain` runs first, up to its own first wait, and a process that nothing
 * holds any more ends by itself before the timer, with the exit code already set. Standard output
 * and standard error are flushed before the exit, so the last records are not lost.
 *
 * One per runtime and process, shared, like the signal listeners: several hosts may run in one
 * process, and the first to finish must not end it under the others.
 */
export class ProcessExit {
  readonly #runtime: ConsoleRuntime;
  #active = 0;
  #code: number | undefined = undefined;

  constructor(runtime: ConsoleRuntime) {
    this.#runtime = runtime;
  }

  /** How many runs are under way. */
  get activeRuns(): number {
    return this.#active;
  }

  /** Counts a run as under way until its {@link ProcessExitRun.end}. */
  beginRun(): ProcessExitRun {
    this.#active += 1;
    let ended = false;
    return {
      end: (code: number | undefined): void => {
        if (ended) return;
        ended = true;
        this.#active -= 1;
        if (code !== undefined) this.#code = Math.max(this.#code ?? 0, code);
        if (this.#active === 0 && this.#code !== undefined) this.#schedule();
      },
    };
  }

  #schedule(): void {
    // Not awaited: the exit happens on its own turn. delay without a signal and flushOutput never
    // reject, and exit never returns, so the chain cannot reject.
    void this.#runtime.timeProvider
      .delay(0)
      .then(() => this.#runtime.flushOutput())
      .then(() => {
        // A run that began meanwhile ends the process itself, later.
        if (this.#active > 0 || this.#code === undefined) return;
        const code = this.#code;
        this.#code = undefined;
        this.#runtime.exit(code);
      });
  }
}

const processExits = new WeakMap<ConsoleRuntime, ProcessExit>();

/** The one {@link ProcessExit} of `runtime` in this process. */
export function processExitOf(runtime: ConsoleRuntime): ProcessExit {
  let processExit = processExits.get(runtime);
  if (processExit === undefined) {
    processExit = new ProcessExit(runtime);
    processExits.set(runtime, processExit);
  }
  return processExit;
}
