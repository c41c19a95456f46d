import { SystemTimeProvider } from '@hostkit/core';

/**
 * Core's {@link SystemTimeProvider} on Deno, with one difference: every timer it schedules is
 * passed to `Deno.unrefTimer`, so a pending timer (a `PeriodicTimer` still waiting, a `delay`
 * nobody awaits any more) never keeps a process alive by itself once the host has stopped. While
 * a host runs, its console lifetime holds the process open, and the timers fire as usual.
 *
 * Outside a host, a program that only waits on these timers ends before they fire: use core's
 * `systemTimeProvider` there.
 */
export class DenoTimeProvider extends SystemTimeProvider {
  /** Called for each platform timeout a timer arms; unrefs it. */
  protected override scheduleTimeout(callback: () => void, delay: number): unknown {
    const handle = super.scheduleTimeout(callback, delay) as ReturnType<typeof setTimeout>;
    // The handle itself, not Number(handle): since Deno 2.8 it is a Node-style Timeout whose numeric
    // value is not an id unrefTimer knows (seen on 2.9: the timer then still held the process).
    Deno.unrefTimer(handle);
    return handle;
  }
}

/** The process-wide {@link DenoTimeProvider}: what `runMain` and `createDenoHostBuilder` give a host. */
export const denoTimeProvider: DenoTimeProvider = new DenoTimeProvider();
