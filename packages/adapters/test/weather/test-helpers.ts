/** Helpers shared by the undici weather client's suites. */
import type { ManualTimeProvider } from '@hostkit/core/testing';
import { type Interceptable, MockAgent } from 'undici';

/**
 * Lets the client run until it waits on the manual clock (a backoff or Retry-After wait), without
 * moving time. Polls on event-loop turns (`flush`).
 */
export async function untilTimerPending(time: ManualTimeProvider): Promise<void> {
  // A wall-clock deadline rather than a count of turns: against a loopback server the reply
  // crosses real sockets, which takes an unknown number of turns on a loaded machine.
  const deadline = performance.now() + 10_000;
  while (time.pendingTimerCount === 0) {
    if (performance.now() > deadline) throw new Error('The client never waited on the clock (no timer within 10 s)');
    await time.flush();
  }
}

/**
 * Where `secret` occurs in `value`: a path such as `cause.message`, or `undefined` when nowhere.
 * Walks strings, arrays and every own property of objects, enumerable or not, so an error's
 * `message`, `stack` and `cause` chain are all searched.
 */
export function findSecret(value: unknown, secret: string, path = '$', seen: Set<object> = new Set()): string | undefined {
  if (typeof value === 'string') return value.includes(secret) ? path : undefined;
  if (typeof value !== 'object' || value === null || seen.has(value)) return undefined;
  seen.add(value);
  for (const key of Object.getOwnPropertyNames(value)) {
    let property: unknown;
    try {
      property = (value as Record<string, unknown>)[key];
    } catch {
      continue;
    }
    const found = findSecret(property, secret, `${path}.${key}`, seen);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Awaits `promise`, expecting it to reject, and returns the rejection. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('Expected the promise to reject, but it resolved');
}

/** A MockAgent that refuses real connections and records calls, with the Open-Meteo origin's pool. */
export function mockOpenMeteo(origin = 'https://api.open-meteo.com'): {
  agent: MockAgent;
  pool: Interceptable;
  /** `searchParams` of every request made so far, in order. */
  calls: () => Record<string, string>[];
} {
  const agent = new MockAgent({ enableCallHistory: true });
  agent.disableNetConnect();
  return {
    agent,
    pool: agent.get(origin),
    calls: () => agent.getCallHistory()?.calls().map((call) => call.searchParams) ?? [],
  };
}

/** Matches any forecast request, whatever its query. */
export const forecast = { path: (path: string): boolean => path.startsWith('/v1/forecast?'), method: 'GET' } as const;

export const jsonHeaders = { 'content-type': 'application/json; charset=utf-8' } as const;
