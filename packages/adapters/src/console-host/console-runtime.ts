import type { TimeProvider } from '@hostkit/core';

/**
 * The process signals a console host turns into a graceful stop. Which ones a runtime listens
 * for is {@link ConsoleRuntime.stopSignals}.
 */
export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGQUIT' | 'SIGBREAK';

/**
 * What the console host needs from a runtime: the few process-level calls that Node and Deno
 * spell differently. `@hostkit/adapters/node` and `@hostkit/adapters/deno` each fill it once;
 * everything else about running a host in a process lives in this folder, so both runtimes
 * behave alike. Internal to the package.
 */
export interface ConsoleRuntime {
  /** `Node` or `Deno`, for messages. */
  readonly name: string;
  /** The signals that ask the application to stop, in the order they are listened for. */
  readonly stopSignals: readonly StopSignal[];
  addSignalListener(signal: StopSignal, listener: () => void): void;
  removeSignalListener(signal: StopSignal, listener: () => void): void;
  /** Sets the code the process exits with when it ends by itself. */
  setExitCode(code: number): void;
  /**
   * Ends the process at once: for a forced exit (a second signal), and for `runMain` ending a
   * process that something still holds once the host's run is over.
   */
  exit(code: number): never;
  /** Resolves once what was written to standard output and standard error has been handed to the OS; never rejects. */
  flushOutput(): Promise<void>;
  /** Whether standard output is a terminal: text logs for people, JSON lines otherwise. */
  isStdoutTerminal(): boolean;
  /** The system clock whose timers do not hold the process open by themselves. */
  readonly timeProvider: TimeProvider;
}
