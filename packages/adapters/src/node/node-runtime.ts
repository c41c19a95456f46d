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
  flushOutput(): Promise<void> {
    // A write's callback runs once it and every write before it are done (or failed: the stream
    // is gone, and there is nothing left to wait for). Pipes are asynchronous on macOS.
    const drained = (stream: NodeJS.WriteStream): Promise<void> =>
      new Promise<void>((resolve) => {
        if (!stream.writable) resolve();
        else stream.write('', () => resolve());
      });
    return Promise.all([drained(process.stdout), drained(process.stderr)]).then(() => undefined);
  },
  isStdoutTerminal(): boolean {
    return process.stdout.isTTY === true;
  },
  timeProvider: nodeTimeProvider,
};
