import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CaptiveDependencyError } from '@hostkit/core';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { describe, expect, it } from 'vitest';
import { ActivityLogToken } from '../../src/database/activity-log.ts';
import { addFileProcessing, FileStoreToken } from '../../src/file-processing/add-file-processing.ts';
import { acceptedUploadFileName, newUploadId } from '../../src/file-processing/file-names.ts';
import { FileStore } from '../../src/file-processing/file-store.ts';
import { ResultProcessor } from '../../src/file-processing/result-processor.ts';
import { createTestBuilder, tempDir, testConfig } from '../helpers.ts';
import { MemoryActivityLog, multipart, names, post, serveRoute, waitUntil } from './support.ts';

/** The sample on a host, with the real chokidar watcher on a short stability threshold. */
function createSample(dataDir: string, capacity = 5) {
  const time = new ManualTimeProvider({ now: Date.parse('2026-11-21T12:00:00Z') });
  const { builder, logs } = createTestBuilder(time);
  const activity = new MemoryActivityLog();
  builder.services.addInstance(ActivityLogToken, activity);
  const feature = addFileProcessing(builder, testConfig(dataDir, { channelCapacity: capacity }), {
    activity: ActivityLogToken,
    options: { stabilityThresholdMs: 50 },
  });
  const host = builder.build();
  return { host, time, logs, activity, feature, store: host.services.get(FileStoreToken), status: () => feature.status?.() ?? {} };
}

const results = async (store: FileStore): Promise<string[]> => (await names(store.outbox)).filter((name) => name.endsWith('.result.json'));

// Real files and a real watcher: polled with deadlines, so the tests get room on a loaded machine.
describe('addFileProcessing', { timeout: 60_000 }, () => {
  it('processes files that were in the inbox at start, files dropped later and uploads, into one result each', async () => {
    await using dir = await tempDir();
    const first = createSample(dir.path);
    await first.store.prepare();
    for (let i = 0; i < 20; i++) await writeFile(join(first.store.inbox, `before-${i}.txt`), `file ${i} before start\n`);
    await using host = first.host;
    await host.start();
    await using server = await serveRoute(first.feature.mount!, '/upload');
    // Dropped the way well-behaved producers do: written under a temporary name, renamed in.
    for (let i = 0; i < 20; i++) {
      await writeFile(join(first.store.inbox, `.later-${i}.txt.tmp`), `file ${i} after start\n`);
      await rename(join(first.store.inbox, `.later-${i}.txt.tmp`), join(first.store.inbox, `later-${i}.txt`));
    }
    const uploaded: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { body, contentType } = multipart([{ name: 'file', filename: 'same-name.txt', content: `upload ${i}` }]);
      const response = await post(server.url, { headers: { 'content-type': contentType }, body });
      expect(response.status).toBe(202);
      uploaded.push(String(response.json()['result']));
    }
    // "processed" counts a file once its result is written AND its input removed.
    await waitUntil(() => first.status()['processed'] === 45, '45 files are processed');

    const all = await results(first.store);
    expect(all.filter((name) => name.startsWith('before-'))).toHaveLength(20);
    expect(all.filter((name) => name.startsWith('later-'))).toHaveLength(20);
    // Five uploads with the same client name: five results, none overwritten.
    for (const result of uploaded) expect(all).toContain(result.slice('outbox/'.length));
    expect(await names(first.store.inbox)).toEqual([]);
    expect(await names(first.store.uploads)).toEqual([]);
    const result = JSON.parse(await readFile(join(first.store.outbox, 'later-3.txt.result.json'), 'utf8')) as Record<string, unknown>;
    expect(result).toMatchObject({ originalName: 'later-3.txt', source: 'inbox', bytes: 19, lines: 1, words: 4 });
    expect(first.status()).toMatchObject({
      channelDepth: 0,
      channelCapacity: 5,
      processed: 45,
      failed: 0,
      dropped: 0,
      uploads: { accepted: 5, tooLarge: 0, invalid: 0, rejectedBusy: 0 },
      recovery: { stagingRemoved: 0, uploadsRequeued: 0, temporaryRemoved: 0, orphanReportsRemoved: 0 },
    });
    expect(first.activity.rows.filter((row) => row.message.startsWith('processed '))).toHaveLength(45);
    await host.stop();
  });

  it('recovers what a crash left behind before it processes anything, when DATA_DIR has leftovers', async () => {
    await using dir = await tempDir();
    const sample = createSample(dir.path);
    // Another store makes the directories: the sample's own must find the leftovers at its start.
    await new FileStore({ dataDir: dir.path }).prepare();
    const accepted = acceptedUploadFileName(newUploadId(), 'kept.txt');
    await writeFile(join(sample.store.uploads, accepted), 'accepted before the crash');
    await writeFile(join(sample.store.uploads, `${newUploadId()}.partial`), 'half');
    await writeFile(join(sample.store.outbox, '.x.result.json.01234567.tmp'), '{');
    await using host = sample.host;
    await host.start();
    await waitUntil(() => sample.status()['processed'] === 1, 'the requeued upload is processed');
    expect(await results(sample.store)).toEqual([`${accepted}.result.json`]);
    expect(await names(sample.store.outbox)).toEqual([`${accepted}.result.json`]);
    expect(await names(sample.store.uploads)).toEqual([]);
    expect(sample.status()['recovery']).toEqual({ stagingRemoved: 1, uploadsRequeued: 1, temporaryRemoved: 1, orphanReportsRemoved: 0 });
    expect(sample.activity.rows[0]?.message).toMatch(/^recovered after an unclean stop: 1 accepted upload\(s\) requeued/);
    await host.stop();
  });

  it('registers the ResultProcessor as scoped, so it cannot be resolved outside a unit of work', async () => {
    await using dir = await tempDir();
    const sample = createSample(dir.path);
    await using host = sample.host;
    expect(() => host.services.get(ResultProcessor)).toThrow(CaptiveDependencyError);
    await using scope = host.services.createScope();
    expect(scope.get(ResultProcessor)).toBeInstanceOf(ResultProcessor);
  });

  it('stops cleanly with files still queued, and a new host on the same DATA_DIR finishes them', async () => {
    await using dir = await tempDir();
    const first = createSample(dir.path, 2);
    await first.store.prepare();
    for (let i = 0; i < 30; i++) await writeFile(join(first.store.inbox, `f-${i}.txt`), `content ${i}`);
    await first.host.start();
    await waitUntil(async () => (await results(first.store)).length >= 1, 'processing has begun');
    await first.host.stop();
    await first.host.dispose();
    const done = await results(first.store);
    // Every input has exactly one of: a result, or its file still in the inbox.
    const left = await names(first.store.inbox);
    expect(done.length + left.length).toBe(30);
    for (const name of left) expect(done).not.toContain(`${name}.result.json`);

    const second = createSample(dir.path);
    await using host = second.host;
    await host.start();
    await waitUntil(
      async () => (await results(second.store)).length === 30 && (await names(second.store.inbox)).length === 0,
      'all 30 results exist and the inbox is empty',
    );
    expect(await names(second.store.inbox)).toEqual([]);
    await host.stop();
  });

  it('refuses an upload before reading its body once the channel has been full and not moving for the queueing deadline', async () => {
    await using dir = await tempDir();
    const time = new ManualTimeProvider({ now: Date.parse('2026-11-21T12:00:00Z') });
    const { builder } = createTestBuilder(time);
    builder.services.addInstance(ActivityLogToken, new MemoryActivityLog());
    // One slot, and a processor that takes each file for an hour of the manual clock.
    const feature = addFileProcessing(builder, testConfig(dir.path, { channelCapacity: 1 }), {
      activity: ActivityLogToken,
      options: { stabilityThresholdMs: 50, processingDelayMs: 3_600_000, queueTimeoutMs: 3_000 },
    });
    await using host = builder.build();
    await host.start();
    const store = host.services.get(FileStoreToken);
    await using server = await serveRoute(feature.mount!, '/upload');
    const send = async (name: string) => {
      const { body, contentType } = multipart([{ name: 'file', filename: name, content: `content of ${name}` }]);
      return post(server.url, { headers: { 'content-type': contentType }, body });
    };
    expect((await send('taken.txt')).status).toBe(202); // the processor holds it
    await waitUntil(() => (feature.status?.()['channelDepth'] as number) === 0, 'the processor takes the first file');
    expect((await send('queued.txt')).status).toBe(202); // fills the one slot
    // Full: this one is received, accepted, and waits for room until the queueing deadline (the
    // one timer it adds then).
    const timersBefore = time.pendingTimerCount;
    const waiting = send('waits.txt');
    await waitUntil(
      async () => (await names(store.uploads)).some((name) => name.endsWith('--waits.txt')) && time.pendingTimerCount === timersBefore + 1,
      'the third upload waits for room',
    );
    await time.advance(3_000);
    const timedOut = await waiting;
    expect(timedOut.status).toBe(503);
    expect(String(timedOut.json()['message'])).toMatch(/stayed full/);
    // The channel has not moved for the whole deadline: the next one is refused before its body is read.
    const refused = await send('hopeless.txt');
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(String(refused.json()['message'])).toMatch(/has not moved for 3000 ms/);
    expect((await names(store.uploads)).filter((name) => name.includes('hopeless'))).toEqual([]);
    await host.stop();
  });
});
