import { createLoggerFactory, MemoryLogSink } from '@hostkit/core';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
    // Written by a timer of the TimeProvider on the next turn, not inside write().
    expect(readLogs(dataDir)).toHaveLength(1);
    await time.advance(0);
    expect(existsSync(join(dataDir, 'app.db'))).toBe(true);
    expect(readLogs(dataDir)).toEqual([
      { created_at: Date.parse('2026-11-21T00:00:00Z'), message: '[weather] refreshed' },
      { created_at: Date.parse('2026-11-21T00:00:01.500Z'), message: '[files] processed a.txt' },
    ]);
    expect(log.counts).toEqual({ state: 'ok', written: 2, failed: 0, dropped: 0, queued: 0 });
  });

  it('ignores writes after it was disposed (the host disposes it after the services stopped)', async () => {
    await using dir = await tempDir();
    const log = new SqliteActivityLog(dir.path, new ManualTimeProvider(), createLoggerFactory().createLogger('test'));
    log[Symbol.dispose]();
    expect(() => log.write('late', 'ignored')).not.toThrow();
    log[Symbol.dispose]();
    expect(readLogs(dir.path)).toEqual([]);
  });

  it('reports a failed write through the logger instead of throwing at the caller when retrying cannot help', async () => {
    await using dir = await tempDir();
    const sink = new MemoryLogSink();
    const time = new ManualTimeProvider();
    using log = new SqliteActivityLog(dir.path, time, createLoggerFactory({ sinks: [sink] }).createLogger('test'));
    const database = openAppDatabase(dir.path);
    database.exec('DROP TABLE logs');
    database.close();
    expect(() => log.write('files', 'lost')).not.toThrow();
    await time.advance(0);
    expect(log.counts).toMatchObject({ written: 0, failed: 1, queued: 0 });
    expect(sink.records.map((record) => record.message)).toEqual(['Could not write 1 activity rows to the logs table']);
  });

  it('keeps rows queued while another connection holds the write lock, then writes them all when it is released', async () => {
    await using dir = await tempDir();
    const sink = new MemoryLogSink();
    const time = new ManualTimeProvider();
    using log = new SqliteActivityLog(dir.path, time, createLoggerFactory({ sinks: [sink] }).createLogger('test'));
    const other = openAppDatabase(dir.path);
    try {
      other.exec('BEGIN EXCLUSIVE');
      for (let i = 0; i < 3; i++) log.write('files', `row ${i}`);
      const started = performance.now();
      await time.advance(0);
      // The connection's busy timeout is short: the attempt fails at once instead of blocking the loop.
      expect(performance.now() - started).toBeLessThan(1_000);
      await time.advance(5_000);
      expect(log.counts).toMatchObject({ state: 'waiting', written: 0, queued: 3, dropped: 0, waitingFor: 'database is locked' });
      expect(log.health()).toMatchObject({ status: 'degraded' });
      expect(log.health().description).toContain('3 rows are waiting');
      other.exec('COMMIT');
      await time.advance(1_000);
      expect(log.counts).toMatchObject({ state: 'ok', written: 3, queued: 0, dropped: 0 });
      expect(log.health().status).toBe('healthy');
      expect(readLogs(dir.path).map((row) => row.message)).toEqual(['[files] row 0', '[files] row 1', '[files] row 2']);
      expect(sink.records.map((record) => `${record.level}: ${record.message}`)).toEqual([
        expect.stringMatching(/^warn: Activity log: app.db refuses writes \(database is locked\)/),
        expect.stringMatching(/^info: Activity log: app.db takes writes again after \d+ ms/),
      ]);
    } finally {
      if (other.isTransaction) other.exec('ROLLBACK');
      other.close();
    }
  });

  it('drops and counts the rows past maxQueued while app.db refuses writes, and says so once in the log', async () => {
    await using dir = await tempDir();
    const sink = new MemoryLogSink();
    const time = new ManualTimeProvider();
    using log = new SqliteActivityLog(dir.path, time, createLoggerFactory({ sinks: [sink] }).createLogger('test'), { maxQueued: 2 });
    const other = openAppDatabase(dir.path);
    try {
      other.exec('BEGIN EXCLUSIVE');
      for (let i = 0; i < 5; i++) log.write('files', `row ${i}`);
      await time.advance(0);
      expect(log.counts).toMatchObject({ queued: 2, dropped: 3 });
      expect(sink.records.filter((record) => record.message.includes('dropping new rows'))).toHaveLength(1);
      other.exec('COMMIT');
      await time.advance(1_000);
      expect(log.counts).toMatchObject({ state: 'ok', written: 2, queued: 0, dropped: 3 });
      expect(sink.records.at(-1)?.message).toContain('3 were dropped');
    } finally {
      if (other.isTransaction) other.exec('ROLLBACK');
      other.close();
    }
  });

  it('moves a corrupt app.db aside (never deleting it), starts a fresh one and reports itself degraded', async () => {
    await using dir = await tempDir();
    const garbage = 'not a database '.repeat(500);
    writeFileSync(join(dir.path, 'app.db'), garbage);
    const sink = new MemoryLogSink();
    const time = new ManualTimeProvider({ now: Date.parse('2026-11-21T10:00:00Z') });
    using log = new SqliteActivityLog(dir.path, time, createLoggerFactory({ sinks: [sink] }).createLogger('test'));
    const moved = join(dir.path, 'app.db.corrupt-2026-11-21T10-00-00.000Z');
    expect(readFileSync(moved, 'utf8')).toBe(garbage);
    expect(readdirSync(dir.path).sort()).toContain('app.db');
    log.write('files', 'still logged');
    await time.advance(0);
    expect(readLogs(dir.path).map((row) => row.message)).toEqual(['[files] still logged']);
    expect(log.counts).toMatchObject({ state: 'ok', written: 1, corruptFileMovedTo: moved });
    expect(log.health()).toMatchObject({ status: 'degraded' });
    expect(log.health().description).toContain(moved);
    expect(sink.records.map((record) => record.level)).toEqual(['error']);
  });

  it('writes what is still queued when it is disposed', async () => {
    await using dir = await tempDir();
    const log = new SqliteActivityLog(dir.path, new ManualTimeProvider(), createLoggerFactory().createLogger('test'));
    log.write('host', 'stopping');
    log[Symbol.dispose]();
    expect(readLogs(dir.path).map((row) => row.message)).toEqual(['[host] stopping']);
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
