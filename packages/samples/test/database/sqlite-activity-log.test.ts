import { createLoggerFactory, MemoryLogSink } from '@hostkit/core';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openAppDatabase } from '../../src/database/app-database.ts';
import { SqliteActivityLog } from '../../src/database/sqlite-activity-log.ts';
import { readLogs, tempDir } from '../helpers.ts';

describe('SqliteActivityLog', () => {
  it('creates DATA_DIR, app.db and the logs table, and writes rows stamped by the TimeProvider', async () => {
    await using dir = await tempDir();
    const dataDir = join(dir.path, 'nested', 'data');
    const time = new ManualTimeProvider({ now: Date.parse('2026-11-21T00:00:00Z') });
    using log = new SqliteActivityLog(dataDir, time, createLoggerFactory().createLogger('test'));
    log.write('weather', 'refreshed');
    await time.advance(1_500);
    log.write('files', 'processed a.txt');
    expect(existsSync(join(dataDir, 'app.db'))).toBe(true);
    expect(readLogs(dataDir)).toEqual([
      { created_at: Date.parse('2026-11-21T00:00:00Z'), message: '[weather] refreshed' },
      { created_at: Date.parse('2026-11-21T00:00:01.500Z'), message: '[files] processed a.txt' },
    ]);
    expect(log.counts).toEqual({ written: 2, failed: 0 });
  });

  it('ignores writes after it was disposed (the host disposes it after the services stopped)', async () => {
    await using dir = await tempDir();
    const log = new SqliteActivityLog(dir.path, new ManualTimeProvider(), createLoggerFactory().createLogger('test'));
    log[Symbol.dispose]();
    expect(() => log.write('late', 'ignored')).not.toThrow();
    log[Symbol.dispose]();
    expect(readLogs(dir.path)).toEqual([]);
  });

  it('reports a failed write through the logger instead of throwing at the caller', async () => {
    await using dir = await tempDir();
    const sink = new MemoryLogSink();
    using log = new SqliteActivityLog(dir.path, new ManualTimeProvider(), createLoggerFactory({ sinks: [sink] }).createLogger('test'));
    const database = openAppDatabase(dir.path);
    database.exec('DROP TABLE logs');
    database.close();
    expect(() => log.write('files', 'lost')).not.toThrow();
    expect(log.counts).toEqual({ written: 0, failed: 1 });
    expect(sink.records.map((record) => record.message)).toEqual(['Could not write an activity row to the logs table']);
  });
});

describe('openAppDatabase', () => {
  it('indexes created_at, which the retention delete ranges over', async () => {
    await using dir = await tempDir();
    const database = openAppDatabase(dir.path);
    try {
      const plan = database.prepare('EXPLAIN QUERY PLAN SELECT id FROM logs WHERE created_at < ? ORDER BY created_at LIMIT 10').all(0) as { detail: string }[];
      expect(plan.map((row) => row.detail).join(' ')).toContain('logs_created_at');
      expect((database.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal');
    } finally {
      database.close();
    }
  });
});
