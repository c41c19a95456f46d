import { errorType, instruments, secondsBetween } from './instruments.ts';
import { TelemetryNames as N } from './telemetry-names.ts';

/** Records the duration of the host's start or stop (timestamps of its TimeProvider); `error` when it failed. */
export function recordHostPhase(phase: 'start' | 'stop', began: number, ended: number, error?: unknown): void {
  const meters = instruments();
  if (!meters.enabled) return;
  const attributes = error === undefined ? {} : { [N.ErrorType]: errorType(error) };
  (phase === 'start' ? meters.hostStart : meters.hostStop).record(secondsBetween(began, ended), attributes);
}

/** Records the exit code of a host run. */
export function recordHostExitCode(exitCode: number): void {
  instruments().hostExitCode.record(exitCode);
}
