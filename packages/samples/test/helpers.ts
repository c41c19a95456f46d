import { Host, MemoryLogSink, type HostApplicationBuilder, type HostApplicationBuilderOptions, type TimeProvider } from '@hostkit/core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppRuntime } from '../src/app.ts';
import type { AppConfig } from '../src/config/app-config.ts';
import { defaultConfig } from '../src/config/load-config.ts';
import { openAppDatabase } from '../src/database/app-database.ts';

export const DAY_MS = 86_400_000;

/** A temporary directory, removed by `await using`. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await mkdtemp(join(tmpdir(), 'hostkit-samples-test-'));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true, maxRetries: 3 }) };
}

/** A host builder on `time` whose log goes to a memory sink instead of the console. */
export function createTestBuilder(time: TimeProvider): { builder: HostApplicationBuilder; logs: MemoryLogSink } {
  const builder = Host.createApplicationBuilder({ timeProvider: time, hostOptions: { shutdownTimeout: 5_000 } });
  const logs = new MemoryLogSink();
  builder.logging.clearSinks().addSink(logs);
  return { builder, logs };
}

/**
 * The runtime `createApp` gets in tests: hosts from {@link createTestBuilder} on `time` (or on the
 * clock `createApp` was given), with the host options it asks for.
 */
export function testAppRuntime(time: TimeProvider): AppRuntime {
  return {
    name: 'test',
    createHostBuilder: (options: HostApplicationBuilderOptions) => {
      const { builder } = createTestBuilder(options.timeProvider ?? time);
      Object.assign(builder.options, options.hostOptions);
      return builder;
    },
  };
}

/**
 * The configuration `loadConfig` gives with no flags and no variables, in `dataDir` (JSON logs, any
 * free port, and no HTTP drain delay: these hosts run on a manual clock that nobody advances at stop).
 */
export function testConfig(dataDir: string, overrides: Partial<AppConfig> = {}): AppConfig {
  // As in loadConfig: an interval given without a schedule means interval mode.
  const intervalMode = overrides.cleanupIntervalMs !== undefined && !('cleanupSchedule' in overrides);
  return { ...defaultConfig(dataDir), logFormat: 'json', port: 0, httpDrainDelayMs: 0, ...(intervalMode && { cleanupSchedule: undefined }), ...overrides };
}

/** Inserts `count` logs rows created at `createdAt` (epoch ms) into DATA_DIR/app.db. */
export function insertLogs(dataDir: string, createdAt: number, count: number, message = 'row'): void {
  const database = openAppDatabase(dataDir);
  try {
    const insert = database.prepare('INSERT INTO logs (created_at, message) VALUES (?, ?)');
    database.exec('BEGIN');
    for (let i = 0; i < count; i++) insert.run(createdAt, `${message} ${i}`);
    database.exec('COMMIT');
  } finally {
    database.close();
  }
}

/** The logs rows as `{ created_at, message }`, oldest first. */
export function readLogs(dataDir: string): { created_at: number; message: string }[] {
  const database = openAppDatabase(dataDir);
  try {
    return database.prepare('SELECT created_at, message FROM logs ORDER BY created_at, id').all() as { created_at: number; message: string }[];
  } finally {
    database.close();
  }
}
