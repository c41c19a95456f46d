/**
 * The share of a lease's time-to-live the holder subtracts for clock-rate drift between its clock
 * and the store's (as Redlock's `CLOCK_DRIFT_FACTOR`): 1 %, far above what quartz clocks drift
 * (tens of ppm) and what NTP slews (at most 500 ppm).
 */
export const leaseClockDriftFactor = 0.01;

/** The fixed part of the margin, in ms: timer granularity and a little event-loop lag. */
export const leaseDriftFloorMs = 2;

/**
 * How long before `sentAt + ttlMs` the holder of a lease gives it up: `ttlMs * 1% + 2 ms`. Called
 * by `DistributedLock` for every lease; exported so that code sizing its own work against a lease
 * (and tests) can compute the same deadline.
 * @param ttlMs the lease's time-to-live, in ms.
 */
export function leaseDriftMarginMs(ttlMs: number): number {
  return ttlMs * leaseClockDriftFactor + leaseDriftFloorMs;
}
