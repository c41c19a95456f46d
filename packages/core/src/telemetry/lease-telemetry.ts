import { instruments, leaseRegistry, type ObservedLease } from './instruments.ts';
import { TelemetryNames as N } from './telemetry-names.ts';

const keys = new WeakMap<ObservedLease, string>();
let sequence = 0;

/** Counts an acquired lease, adds it to the held count and the fencing token gauge. */
export function recordLeaseAcquired(lease: ObservedLease): void {
  const meters = instruments();
  if (!meters.enabled) return;
  sequence += 1;
  const key = `${sequence}`;
  keys.set(lease, key);
  leaseRegistry.add(key, lease);
  const attributes = { [N.LeaseName]: lease.name };
  meters.leaseAcquired.add(1, attributes);
  meters.leaseHeld.add(1, attributes);
}

/** Takes a lease that is no longer held off the held count and the gauge; counts a loss. */
export function recordLeaseEnded(lease: ObservedLease, how: 'lost' | 'released'): void {
  const key = keys.get(lease);
  if (key === undefined) return;
  keys.delete(lease);
  leaseRegistry.delete(key, lease);
  const meters = instruments();
  const attributes = { [N.LeaseName]: lease.name };
  meters.leaseHeld.add(-1, attributes);
  if (how === 'lost') meters.leaseLost.add(1, attributes);
}
