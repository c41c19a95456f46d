/**
 * Coordination across processes: the {@link LeaseStore} port (named leases with fencing tokens),
 * {@link DistributedLock} that holds leases on it (renewing, noticing loss, releasing), and
 * {@link MemoryLeaseStore}, the in-process store.
 * @module
 */
export type { LeaseAcquisition, LeaseStore } from './lease-store.ts';
export type { Lease } from './lease.ts';
export {
  DistributedLock,
  type AcquireLeaseOptions,
  type DistributedLockOptions,
  type LeaseOptions,
} from './distributed-lock.ts';
export { MemoryLeaseStore, type MemoryLeaseStoreOptions } from './memory-lease-store.ts';
export { LeaseLostError } from './lease-lost-error.ts';
export { LeaseReleasedError } from './lease-released-error.ts';
export { leaseClockDriftFactor, leaseDriftFloorMs, leaseDriftMarginMs } from './lease-drift-margin.ts';
