import process from 'node:process';
import type { ConsoleRuntime, StopSignal } from '../console-host/console-runtime.ts';
import { nodeTimeProvider } from './node-time-provider.ts';

/**
 * The console runtime on Node's `process`. SIGQUIT is POSIX-only; on Windows Node can listen
 * for SIGTERM (never delivered, harmless) and SIGBREAK (Ctrl+Break) instead.
 */
export const nodeRuntime: ConsoleRuntime = {
  name: 'Node',
  stopSignals: process.platform === 'win32' ? ['SIGINT', 'SIGTERM', 'SIGBREAK'] : ['SIGINT', 'SIGTERM', 'SIGQUIT'],
  addSignalListener(signal: StopSignal, listener: () => void): void {
    process.on(signal, listener);
  },
  removeSignalListener(signal: StopSignal, listener: () => void): void {
    process.off(signal, listener);
  },
  setExitCode(code: number): void {
    process.exitCode = code;
  },
  exit(code: number): never {
    return process.exit(code);
  },
  isStdoutTerminal(): boolean {
    return process.stdout.isTTY === true;
  },
  timeProvider: nodeTimeProvider,
};
