import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Channel, createBoundedChannel, type FileWorkItem } from '@hostkit/core';
import { ManualTimeProvider } from '@hostkit/core/testing';
import { describe, expect, it } from 'vitest';
import { FileProcessingCounters } from '../../src/file-processing/file-processing-counters.ts';
import { FileStore } from '../../src/file-processing/file-store.ts';
import { addUploadRoute, StagingQuota, type UploadRouteOptions } from '../../src/file-processing/upload-route.ts';
import { UploadIdempotencyStore } from '../../src/file-processing/idempotency-store.ts';
import { connect, type Socket } from 'node:net';
import { tempDir } from '../helpers.ts';
import { BOUNDARY, MemoryActivityLog, multipart, names, post, serveRoute, waitUntil } from './support.ts';

const MAX_BYTES = 64 * 1024;

/** The route over a real DATA_DIR and a real server, with a channel nobody reads (the test does). */
async function createFixture(dataDir: string, options: { capacity?: number; maxBytes?: number; route?: Partial<UploadRouteOptions> } = {}) {
  const time = new ManualTimeProvider();
  const store = new FileStore({ dataDir });
  await store.prepare();
  const channel: Channel<FileWorkItem> = createBoundedChannel<FileWorkItem>(options.capacity ?? 10);
  const counters = new FileProcessingCounters();
  const activity = new MemoryActivityLog();
  const routeOptions: UploadRouteOptions = {
    store,
    writer: channel.writer,
    counters,
    timeProvider: time,
    maxBytes: options.maxBytes ?? MAX_BYTES,
    activityLog: () => activity,
    ...options.route,
  };
  const server = await serveRoute((app) => addUploadRoute(app, routeOptions), '/upload');
  return { time, store, channel, counters, activity, server, url: server.url };
}

const uploadsAndInbox = async (store: FileStore): Promise<string[]> => [...(await names(store.uploads)), ...(await names(store.inbox))];

describe('POST /upload', { timeout: 30_000 }, () => {
  describe('202', () => {
    it('stores the file under a generated name in DATA_DIR, owner-only, and queues it when the channel has room', async () => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path);
      await using _server = f.server;
      const { body, contentType } = multipart([
        { name: 'comment', content: 'ignored field' },
        { name: 'file', filename: 'report.csv', content: 'a,b\n1,2\n' },
      ]);
      const response = await post(f.url, { headers: { 'content-type': contentType }, body });

      expect(response.status).toBe(202);
      const reply = response.json();
      expect(reply).toMatchObject({ originalName: 'report.csv', bytes: 8 });
      expect(reply['name']).toBe(`${String(reply['id'])}--report.csv`);
      expect(reply['result']).toBe(`outbox/${String(reply['name'])}.result.json`);
      const item = f.channel.reader.tryRead();
      expect(item.ok && item.value.path).toBe(join(f.store.uploads, String(reply['name'])));
      const path = join(f.store.uploads, String(reply['name']));
      expect(await readFile(path, 'utf8')).toBe('a,b\n1,2\n');
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(await names(f.store.uploads)).toEqual([reply['name']]);
      expect(f.counters.uploadsAccepted).toBe(1);
      expect(f.activity.rows).toEqual([{ source: 'files', message: `upload accepted ${String(reply['name'])} (8 bytes)` }]);
    });

    it('keeps a hostile client file name only as a sanitised suffix inside uploads/', async () => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path);
      await using _server = f.server;
      const { body, contentType } = multipart([{ name: 'file', filename: '../../../etc/.passwd', content: 'x' }]);
      const response = await post(f.url, { headers: { 'content-type': contentType }, body });
      expect(response.status).toBe(202);
      expect(response.json()['originalName']).toBe('passwd');
      expect(await names(f.store.uploads)).toEqual([response.json()['name']]);
      expect(await names(dir.path)).toEqual(['failed', 'inbox', 'outbox', 'uploads']);
    });

    it('accepts a file of exactly UPLOAD_MAX_BYTES streamed without Content-Length', async () => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path);
      await using _server = f.server;
      const { body, contentType } = multipart([{ name: 'file', filename: 'max.bin', content: new Uint8Array(MAX_BYTES).fill(7) }]);
      const response = await post(f.url, { headers: { 'content-type': contentType }, body, chunked: true });
      expect(response.status).toBe(202);
      expect(response.json()['bytes']).toBe(MAX_BYTES);
    });
  });

  describe('413', () => {
    it('refuses a file past UPLOAD_MAX_BYTES and removes the partial file when the body is streamed', async () => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path);
      await using _server = f.server;
      const { body, contentType } = multipart([{ name: 'file', filename: 'big.bin', content: new Uint8Array(MAX_BYTES + 1) }]);
      const response = await post(f.url, { headers: { 'content-type': contentType }, body, chunked: true });
      expect(response.status).toBe(413);
      expect(response.json()).toMatchObject({ error: 'too_large', maxBytes: MAX_BYTES });
      expect(await uploadsAndInbox(f.store)).toEqual([]);
      expect(f.channel.reader.count).toBe(0);
      expect(f.counters.uploadsTooLarge).toBe(1);
    });

    it('answers before the client has finished sending, and writes no more than the limit, when a huge body streams in', async () => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path);
      await using _server = f.server;
      const head = multipart([{ name: 'file', filename: 'huge.bin', content: '' }], { closing: false }).body.subarray(0, -2);
      const chunk = Buffer.alloc(16 * 1024);
      const total = 512 * 1024 * 1024;
      let sent = 0;
      const response = await post(f.url, {
        headers: { 'content-type': multipart([]).contentType },
        body: () => {
          if (sent === 0) {
            sent = 1;
            return head;
          }
          if (sent >= total) return undefined;
          sent += chunk.length;
          return chunk;
        },
      }).catch((error: unknown) => ({ status: 0, error }));
      // The server stops reading: the client never gets to send the 512 MiB.
      expect(sent).toBeLessThan(64 * 1024 * 1024);
      // Depending on timing the client sees the 413, or the reset that ends an over-long discard.
      expect([413, 0]).toContain(response.status);
      await waitUntil(async () => (await uploadsAndInbox(f.store)).length === 0, 'the partial file is removed');
      expect(f.counters.uploadsTooLarge).toBe(1);
    });

    it('refuses at once, without reading the body, when the declared Content-Length is far past the limit', async () => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path);
      await using _server = f.server;
      const { body, contentType } = multipart([{ name: 'file', filename: 'big.bin', content: new Uint8Array(MAX_BYTES * 3) }]);
      const response = await post(f.url, { headers: { 'content-type': contentType }, body });
      expect(response.status).toBe(413);
      expect(response.headers['connection']).toBe('close');
      expect(await uploadsAndInbox(f.store)).toEqual([]);
    });
  });

  describe('400', () => {
    it.each([
      ['a JSON body', 'application/json', Buffer.from('{"file":"x"}')],
      ['no Content-Type', undefined, Buffer.from('raw')],
      ['a urlencoded form', 'application/x-www-form-urlencoded', Buffer.from('file=x')],
      ['multipart without a boundary', 'multipart/form-data', Buffer.from('--x\r\n')],
    ])('refuses %s', async (_label, contentType, body) => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path);
      await using _server = f.server;
      const response = await post(f.url, { headers: contentType === undefined ? {} : { 'content-type': contentType }, body });
      expect(response.status).toBe(400);
      expect(response.json()['error']).toBe('invalid_upload');
      expect(await uploadsAndInbox(f.store)).toEqual([]);
      expect(f.counters.uploadsInvalid).toBe(1);
    });

    it('refuses a form with fields but no file part', async () => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path);
      await using _server = f.server;
      const { body, contentType } = multipart([{ name: 'comment', content: 'where is the file?' }]);
      const response = await post(f.url, { headers: { 'content-type': contentType }, body });
      expect(response.status).toBe(400);
      expect(String(response.json()['message'])).toMatch(/Expected a file part/);
    });

    it('refuses a body truncated before the closing boundary and removes the partial file', async () => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path);
      await using _server = f.server;
      const { body, contentType } = multipart([{ name: 'file', filename: 'cut.txt', content: 'x'.repeat(10_000) }], { closing: false });
      const response = await post(f.url, { headers: { 'content-type': contentType }, body: body.subarray(0, 5_000) });
      expect(response.status).toBe(400);
      expect(String(response.json()['message'])).toMatch(/closing boundary/);
      expect(await uploadsAndInbox(f.store)).toEqual([]);
    });

    it('refuses two file parts and removes the first one’s partial file', async () => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path);
      await using _server = f.server;
      const { body, contentType } = multipart([
        { name: 'file', filename: 'one.txt', content: 'one' },
        { name: 'file', filename: 'two.txt', content: 'two' },
      ]);
      const response = await post(f.url, { headers: { 'content-type': contentType }, body });
      expect(response.status).toBe(400);
      expect(String(response.json()['message'])).toMatch(/exactly one file part/);
      expect(await uploadsAndInbox(f.store)).toEqual([]);
      expect(f.channel.reader.count).toBe(0);
    });

    it('refuses the empty file part a browser sends for a file input left empty', async () => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path);
      await using _server = f.server;
      const { body, contentType } = multipart([{ name: 'file', filename: '', content: '' }]);
      const response = await post(f.url, { headers: { 'content-type': contentType }, body });
      expect(response.status).toBe(400);
      expect(await uploadsAndInbox(f.store)).toEqual([]);
    });
  });

  describe('503', () => {
    it('answers 503 with Retry-After and removes the file when the channel stays full for 3 seconds', async () => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path, { capacity: 1 });
      await using _server = f.server;
      expect(f.channel.writer.tryWrite({ path: '/elsewhere/queued-first', done: () => undefined })).toBe(true);
      const { body, contentType } = multipart([{ name: 'file', filename: 'late.txt', content: 'too late' }]);
      const pending = post(f.url, { headers: { 'content-type': contentType }, body });
      // Accepted on disk, waiting for room: the 3-second deadline is the only timer.
      await waitUntil(async () => (await names(f.store.uploads)).length === 1 && f.time.pendingTimerCount === 1, 'the upload waits for room');
      expect((await names(f.store.uploads))[0]).toMatch(/--late\.txt$/);
      await f.time.advance(2_999);
      expect(await names(f.store.uploads)).toHaveLength(1);
      await f.time.advance(1);

      // Seed bug: the original deleted the temporary file on timeout and sent no response.
      const response = await pending;
      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.json()['error']).toBe('busy');
      expect(await uploadsAndInbox(f.store)).toEqual([]);
      expect(f.channel.reader.count).toBe(1);
      expect(f.counters).toMatchObject({ uploadsRejectedBusy: 1, uploadsAccepted: 0 });
      expect(f.time.pendingTimerCount).toBe(0);
    });

    it('answers 202 when room appears before the deadline', async () => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path, { capacity: 1 });
      await using _server = f.server;
      f.channel.writer.tryWrite({ path: '/elsewhere/queued-first', done: () => undefined });
      const { body, contentType } = multipart([{ name: 'file', filename: 'patient.txt', content: 'waits' }]);
      const pending = post(f.url, { headers: { 'content-type': contentType }, body });
      await waitUntil(() => f.time.pendingTimerCount === 1, 'the upload waits for room');
      await f.time.advance(2_000);
      expect(f.channel.reader.tryRead().ok).toBe(true);
      const response = await pending;
      expect(response.status).toBe(202);
      expect(f.time.pendingTimerCount).toBe(0);
    });

    it('answers 503 at once when the processor has stopped reading', async () => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path, { capacity: 1 });
      await using _server = f.server;
      f.channel.reader.stop();
      const { body, contentType } = multipart([{ name: 'file', filename: 'x.txt', content: 'x' }]);
      const response = await post(f.url, { headers: { 'content-type': contentType }, body });
      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.json()['error']).toBe('unavailable');
      expect(await uploadsAndInbox(f.store)).toEqual([]);
    });
  });

  it('removes the partial file when the client goes away mid-upload', async () => {
    await using dir = await tempDir();
    const f = await createFixture(dir.path);
    await using _server = f.server;
    const { body, contentType } = multipart([{ name: 'file', filename: 'gone.bin', content: new Uint8Array(MAX_BYTES / 2) }]);
    await expect(post(f.url, { headers: { 'content-type': contentType }, body, abortAfterBytes: 10_000 })).rejects.toThrow('client went away');
    await waitUntil(async () => (await names(f.store.uploads)).length === 0, 'the partial file is removed');
    expect(f.channel.reader.count).toBe(0);
    expect(f.counters.uploadsAccepted).toBe(0);
  });

  describe('admission', () => {
    it('answers 503 with Retry-After before reading the body when UPLOADS_MAX_IN_PROGRESS uploads are being received', async () => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path, { route: { maxInProgress: 1 } });
      await using _server = f.server;
      await using stalled = await stallUpload(f.url, 'slow.bin', 1_000);
      await waitUntil(async () => (await names(f.store.uploads)).some((name) => name.endsWith('.partial')), 'the first upload is being received');
      const { body, contentType } = multipart([{ name: 'file', filename: 'second.txt', content: 'second' }]);
      const second = await post(f.url, { headers: { 'content-type': contentType }, body });
      expect(second.status).toBe(503);
      expect(second.headers['retry-after']).toBe('5');
      expect(second.json()).toMatchObject({ error: 'busy' });
      expect(f.counters.uploadsRejectedBusy).toBe(1);
      stalled.socket.destroy();
      await waitUntil(async () => (await names(f.store.uploads)).length === 0, 'the stalled upload’s partial file is removed');
      // Once the slot is free, an upload is taken again.
      const third = await post(f.url, { headers: { 'content-type': contentType }, body });
      expect(third.status).toBe(202);
    });

    it('answers 408 and removes the partial file when the body stalls for UPLOAD_IDLE_TIMEOUT_MS', async () => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path, { route: { idleTimeoutMs: 60_000 } });
      await using _server = f.server;
      await using stalled = await stallUpload(f.url, 'stalled.bin', 1_000);
      // Every read re-arms the idle timer at the manual clock's now: the clock may only move once
      // the route has taken all bytes sent and waits for more, or the 60 s count from later. The
      // parser keeps back what could be the start of the delimiter (its length less one byte).
      const written = 1_000 - (`\r\n--${BOUNDARY}`.length - 1);
      await waitUntil(async () => (await partialBytes(f.store)) === written, `the route has written ${written} of the 1,000 bytes sent`);
      await f.time.advance(59_999);
      expect((await names(f.store.uploads)).some((name) => name.endsWith('.partial'))).toBe(true);
      await f.time.advance(1);
      expect(await stalled.answer).toMatch(/^HTTP\/1\.1 408/);
      await waitUntil(async () => (await names(f.store.uploads)).length === 0, 'the partial file is removed');
    });

    it('answers 503 when the staging quota is spent, before reading a body whose declared size cannot fit, and frees the bytes once processed', async () => {
      await using dir = await tempDir();
      const quota = new StagingQuota(10_000);
      const f = await createFixture(dir.path, { route: { stagingQuota: quota } });
      await using _server = f.server;
      const first = multipart([{ name: 'file', filename: 'a.bin', content: new Uint8Array(6_000) }]);
      expect((await post(f.url, { headers: { 'content-type': first.contentType }, body: first.body })).status).toBe(202);
      expect(quota.used).toBe(6_000);
      // Declared too large for what is left: refused before a byte is read.
      const second = multipart([{ name: 'file', filename: 'b.bin', content: new Uint8Array(6_000) }]);
      const refused = await post(f.url, { headers: { 'content-type': second.contentType }, body: second.body });
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('5');
      // Streamed without a length: refused when the bytes pass the quota, partial file removed.
      const streamed = await post(f.url, { headers: { 'content-type': second.contentType }, body: second.body, chunked: true });
      expect(streamed.status).toBe(503);
      expect(await names(f.store.uploads)).toHaveLength(1);
      expect(quota.used).toBe(6_000);
      // The processor is done with the first file: its bytes are free again.
      const item = f.channel.reader.tryRead();
      expect(item.ok).toBe(true);
      if (item.ok) item.value.done();
      expect(quota.used).toBe(0);
      expect((await post(f.url, { headers: { 'content-type': second.contentType }, body: second.body })).status).toBe(202);
    });

    it('refuses before reading the body when refuseEarly says queueing is hopeless', async () => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path, { route: { refuseEarly: () => 'The processing queue is full and has not moved' } });
      await using _server = f.server;
      const { body, contentType } = multipart([{ name: 'file', filename: 'x.txt', content: 'x' }]);
      const response = await post(f.url, { headers: { 'content-type': contentType }, body });
      expect(response.status).toBe(503);
      expect(response.json()).toMatchObject({ error: 'busy', message: 'The processing queue is full and has not moved' });
      expect(await names(f.store.uploads)).toEqual([]);
    });

    it('answers a retry with the same Idempotency-Key with the first answer, storing one copy', async () => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path, { route: { idempotency: new UploadIdempotencyStore(dir.path, () => new ManualTimeProvider()) } });
      await using _server = f.server;
      const { body, contentType } = multipart([{ name: 'file', filename: 'once.txt', content: 'only once' }]);
      const headers = { 'content-type': contentType, 'idempotency-key': 'order-42-attempt' };
      const first = await post(f.url, { headers, body });
      expect(first.status).toBe(202);
      const retry = await post(f.url, { headers, body });
      expect(retry.status).toBe(202);
      expect(retry.json()).toEqual(first.json());
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(await names(f.store.uploads)).toEqual([first.json()['name']]);
      expect(f.channel.reader.count).toBe(1);
      const other = await post(f.url, { headers: { ...headers, 'idempotency-key': 'another' }, body });
      expect(other.json()['id']).not.toBe(first.json()['id']);
      const bad = await post(f.url, { headers: { ...headers, 'idempotency-key': 'x'.repeat(201) }, body });
      expect(bad.status).toBe(400);
    });

    it('takes only the field named file as the file part', async () => {
      await using dir = await tempDir();
      const f = await createFixture(dir.path);
      await using _server = f.server;
      const { body, contentType } = multipart([{ name: 'attachment', filename: 'elsewhere.txt', content: 'x' }]);
      const response = await post(f.url, { headers: { 'content-type': contentType }, body });
      expect(response.status).toBe(400);
      expect(String(response.json()['message'])).toMatch(/field named "file"/);
      expect(await uploadsAndInbox(f.store)).toEqual([]);
    });

    it('streams a large body to disk without holding it in memory', { timeout: 180_000 }, async () => {
      await using dir = await tempDir();
      const total = 256 * 1024 * 1024;
      const f = await createFixture(dir.path, { maxBytes: total });
      await using _server = f.server;
      const head = multipart([{ name: 'file', filename: 'large.bin', content: '' }], { closing: false }).body.subarray(0, -2);
      const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
      const chunk = Buffer.alloc(256 * 1024, 7);
      let sent = -1;
      let peakRss = 0;
      const before = process.memoryUsage().rss;
      const response = await post(f.url, {
        headers: { 'content-type': multipart([]).contentType },
        body: () => {
          peakRss = Math.max(peakRss, process.memoryUsage().rss);
          if (sent === -1) {
            sent = 0;
            return head;
          }
          if (sent >= total) {
            if (sent === total) {
              sent++;
              return tail;
            }
            return undefined;
          }
          sent += chunk.length;
          return chunk;
        },
      });
      expect(response.status).toBe(202);
      expect(response.json()['bytes']).toBe(total);
      // Client and server share this process: a body held in memory would add its 256 MiB.
      expect((peakRss - before) / 1024 / 1024).toBeLessThan(96);
      const item = f.channel.reader.tryRead();
      expect(item.ok && (await stat(item.value.path)).size).toBe(total);
    });
  });
});

/** The size of the one `.partial` file in uploads/, or -1 while there is none. */
async function partialBytes(store: FileStore): Promise<number> {
  const partial = (await names(store.uploads)).find((name) => name.endsWith('.partial'));
  return partial === undefined ? -1 : (await stat(join(store.uploads, partial))).size;
}

/** An upload that sends its headers and `bytes` of its file part, then stalls (a raw socket). */
async function stallUpload(url: string, filename: string, bytes: number): Promise<{ socket: Socket; answer: Promise<string> } & AsyncDisposable> {
  const { port, pathname } = new URL(url);
  const head = multipart([{ name: 'file', filename, content: '' }], { closing: false }).body.subarray(0, -2);
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    `POST ${pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${multipart([]).contentType}\r\nContent-Length: ${head.length + bytes * 10}\r\n\r\n`,
  );
  socket.write(head);
  socket.write(Buffer.alloc(bytes, 1));
  let text = '';
  socket.on('data', (data: Buffer) => {
    text += data.toString('latin1');
  });
  socket.on('error', () => undefined);
  const answer = new Promise<string>((resolve) => {
    socket.on('data', () => {
      if (/\r\n\r\n/.test(text)) resolve(text);
    });
    socket.on('close', () => resolve(text));
  });
  return { socket, answer, [Symbol.asyncDispose]: async () => void socket.destroy() };
}
