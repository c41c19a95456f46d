import { SystemTimeProvider } from '@hostkit/core';

/**
 * Core's {@link SystemTimeProvider} on Node, with one difference: every timer it schedules is
 * `unref()`'d, so a pending timer (a `PeriodicTimer` still waiting, a `delay` nobody awaits any
 * more) never keeps a process alive by itself once the host has stopped. While a host runs, its
 * console lifetime holds the process open, and the timers fire as usual.
 *
 * Outside a host, a program that only waits on these timers ends before they fire: use core's
 * `systemTimeProvider` there.
 */
export class NodeTimeProvider extends SystemTimeProvider {
  /** Called for each platform timeout a timer arms; `unref()`s it. */
  protected override scheduleTimeout(callback: () => void, delay: number): unknown {
    const handle = super.scheduleTimeout(callback, delay) as ReturnType<typeof setTimeout>;
    handle.unref();
    return handle;
  }
}

/** The process-wide {@link NodeTimeProvider}: what `runMain` and `createNodeHostBuilder` give a host. */
export const nodeTimeProvider: NodeTimeProvider = new NodeTimeProvider();
