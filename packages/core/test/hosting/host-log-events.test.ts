import { describe, expect, it } from 'vitest';
import { HostLogEvents } from '../../src/hosting/host-log-events.ts';

// Lives with the logging tests: the catalogue is hosting's, but this suite only checks it as a list of LogEvents.
describe('HostLogEvents', () => {
  const events = Object.entries(HostLogEvents);

  it('gives every event a unique id', () => {
    const ids = events.map(([, event]) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('names every event after its key, uniquely', () => {
    for (const [key, event] of events) expect(event.name).toBe(key);
  });

  it("keeps .NET's LoggerEventIds numbers for the events .NET has", () => {
    expect(
      [
        HostLogEvents.Starting,
        HostLogEvents.Started,
        HostLogEvents.Stopping,
        HostLogEvents.Stopped,
        HostLogEvents.StoppedWithException,
        HostLogEvents.ApplicationStartupException,
        HostLogEvents.ApplicationStoppingException,
        HostLogEvents.ApplicationStoppedException,
        HostLogEvents.BackgroundServiceFaulted,
        HostLogEvents.BackgroundServiceStoppingHost,
        HostLogEvents.HostedServiceStartupFaulted,
      ].map((event) => event.id),
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it("numbers hostkit's own events from 100, clear of .NET's range", () => {
    const own = events.filter(([, event]) => event.id > 11);
    expect(own.length).toBeGreaterThan(0);
    for (const [, event] of own) expect(event.id).toBeGreaterThanOrEqual(100);
  });

  it('is frozen, events included', () => {
    expect(Object.isFrozen(HostLogEvents)).toBe(true);
    for (const [, event] of events) expect(Object.isFrozen(event)).toBe(true);
  });
});
