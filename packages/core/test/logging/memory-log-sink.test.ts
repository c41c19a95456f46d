import { describe, expect, it } from 'vitest';
import { MemoryLogSink, type LogLevel, type LogRecord } from '../../src/logging/index.ts';
import { HostLogEvents } from '../../src/hosting/host-log-events.ts';

function record(level: LogLevel, message: string, extra: Partial<LogRecord> = {}): LogRecord {
  return { timestamp: 0, level, category: 'app', message, ...extra };
}

describe('MemoryLogSink', () => {
  it('keeps every record, oldest first, when unbounded', () => {
    const sink = new MemoryLogSink();
    for (let index = 0; index < 5; index++) sink.write(record('info', `m${index}`));
    expect(sink.records.map((entry) => entry.message)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('drops the oldest records beyond its capacity and counts them', () => {
    const sink = new MemoryLogSink({ capacity: 2 });
    for (let index = 0; index < 5; index++) sink.write(record('info', `m${index}`));
    expect(sink.records.map((entry) => entry.message)).toEqual(['m3', 'm4']);
    expect(sink.droppedCount).toBe(3);
    sink.clear();
    expect(sink.records).toHaveLength(0);
    expect(sink.droppedCount).toBe(0);
  });

  it('finds records by event, level, category and message', () => {
    const sink = new MemoryLogSink();
    sink.write(record('info', 'started', { event: HostLogEvents.Started }));
    sink.write(record('error', 'faulted worker', { event: HostLogEvents.BackgroundServiceFaulted, category: 'hostkit.Host' }));
    sink.write(record('critical', 'stopping host', { event: HostLogEvents.BackgroundServiceStoppingHost }));
    expect(sink.byEvent(HostLogEvents.Started).map((entry) => entry.message)).toEqual(['started']);
    expect(sink.byEvent(9)).toHaveLength(1);
    expect(sink.byEvent('BackgroundServiceStoppingHost')).toHaveLength(1);
    expect(sink.byLevel('error')).toHaveLength(1);
    expect(sink.byCategory('hostkit.Host')).toHaveLength(1);
    expect(sink.filter({ minimumLevel: 'error' })).toHaveLength(2);
    expect(sink.filter({ minimumLevel: 'error', messageIncludes: 'host' }).map((entry) => entry.message)).toEqual([
      'stopping host',
    ]);
  });

  it('rejects a capacity that is not an integer >= 1, naming the value', () => {
    expect(() => new MemoryLogSink({ capacity: 1.5 })).toThrow(
      new RangeError('Expected capacity to be an integer >= 1 or Infinity, got 1.5 (number)'),
    );
    expect(() => new MemoryLogSink({ capacity: 0 })).toThrow(RangeError);
  });
});
