import type { ConsoleRuntime, StopSignal } from '../console-host/console-runtime.ts';
import { denoTimeProvider } from './deno-time-provider.ts';

/**
 * The console runtime on the `Deno` namespace. Read on use, never at import, so that importing
 * the module elsewhere (a type check, a bundler) does not fail. On Windows, Deno delivers SIGINT,
 * SIGTERM and SIGBREAK (Ctrl+Break) but not SIGQUIT.
 */
export const denoRuntime: ConsoleRuntime = {
  name: 'Deno',
  get stopSignals(): readonly StopSignal[] {
    return Deno.build.os === 'windows' ? ['SIGINT', 'SIGTERM', 'SIGBREAK'] : ['SIGINT', 'SIGTERM', 'SIGQUIT'];
  },
  addSignalListener(signal: StopSignal, listener: () => void): void {
    Deno.addSignalListener(signal, listener);
  },
  removeSignalListener(signal: StopSignal, listener: () => void): void {
    Deno.removeSignalListener(signal, listener);
  },
  setExitCode(code: number): void {
    Deno.exitCode = code;
  },
  exit(code: number): never {
    return Deno.exit(code);
  },
  flushOutput(): Promise<void> {
    // Deno's console writes synchronously: nothing is pending.
    return Promise.resolve();
  },
  isStdoutTerminal(): boolean {
    return Deno.stdout.isTerminal();
  },
  timeProvider: denoTimeProvider,
};
