/**
 * The crash-safety promise of the file-processing sample, tested on the real program on Node and
 * on Deno: stopped with SIGTERM or killed with SIGKILL in the middle of processing (and of
 * uploads), then started again on the same DATA_DIR, every input ends with exactly one result:
 * nothing lost, nothing processed into two results, no temporary file left behind.
 *
 * FILE_PROCESSING_DELAY_MS (test-only) slows each file down so that a stop lands mid-work; some
 * runs use no delay, so that kills also land between writing a result and removing its input.
 */
import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  countResults,
  dirs,
  dropFiles,
  type Expected,
  filesStatus,
  list,
  readResults,
  resultProblems,
  sha256,
  upload,
} from '../file-processing/e2e-support.ts';
import { type AppProcess, type AppRuntime, makeTempDataDir, pollUntil, RUNTIMES, startApp } from './app-process.ts';

const TEST_TIMEOUT_MS = 300_000;

/** Uploads files one after another until told to stop; sorts them by what the client learnt. */
function uploadLoop(app: AppProcess, prefix: string): { stop(): Promise<void>; accepted: Expected; unknown: Map<string, string> } {
  const accepted: Expected = new Map();
  // No answer (the process died): each may or may not have been accepted; at most one result.
  const unknown = new Map<string, string>();
  let stopped = false;
  const loop = (async () => {
    for (let i = 0; !stopped; i++) {
      const content = `${prefix} upload ${i} ${Math.random()}`;
      try {
        const response = await upload(app, `${prefix}-${i}.txt`, content);
        if (response.status === 202) accepted.set(String(response.body['name']), sha256(content));
        else if (response.status !== 503) throw new Error(`upload answered ${response.status}: ${JSON.stringify(response.body)}`);
      } catch (error) {
        if (!stopped && !(error instanceof TypeError)) throw error;
        // fetch failed: the connection died with the process. Its name is unknown unless accepted.
        unknown.set(`${prefix}-${i}`, sha256(content));
        return;
      }
    }
  })();
  return {
    accepted,
    unknown,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/** Inputs with more than one result, or a result whose hash matches no input: must never happen. */
async function duplicatesOrStrangers(outbox: string, known: Expected, unknownHashes: ReadonlySet<string>): Promise<string[]> {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  for (const [name, result] of await readResults(outbox)) {
    seen.set(result.input, (seen.get(result.input) ?? 0) + 1);
    const hash = known.get(result.input);
    if (hash === undefined ? !unknownHashes.has(result.sha256) : hash !== result.sha256) problems.push(`${name}: not a result of any input`);
  }
  for (const [input, count] of seen) if (count > 1) problems.push(`${input}: ${count} results`);
  return problems;
}

async function startOn(runtime: AppRuntime, dataDir: string, env: Record<string, string>): Promise<AppProcess> {
  return startApp({ runtime, dataDir, env: { SERVICES: 'files', ...env } });
}

async function waitForProcessed(app: AppProcess, atLeast: number): Promise<void> {
  await pollUntil(async () => (Number((await filesStatus(app))['processed']) >= atLeast ? true : undefined), {
    timeoutMs: 90_000,
    intervalMs: 20,
    description: `${atLeast} files processed\n${app.output()}`,
  });
}

describe.each(RUNTIMES)('crash safety of file processing in the samples program on %s', (runtime) => {
  it(
    'exits 0 on SIGTERM mid-processing with every input either processed or still waiting, and the next start finishes the rest',
    async () => {
      const dataDir = await makeTempDataDir();
      try {
        const { inbox, outbox, uploads, failed } = dirs(dataDir);
        const expected: Expected = new Map();
        {
          await using app = await startOn(runtime, dataDir, { FILE_PROCESSING_DELAY_MS: '20' });
          for (const [name, hash] of await dropFiles(inbox, 300, 'term')) expected.set(name, hash);
          const uploadsDuring = uploadLoop(app, 'term-up');
          await waitForProcessed(app, 60);
          await uploadsDuring.stop();
          for (const [name, hash] of uploadsDuring.accepted) expected.set(name, hash);
          expect(uploadsDuring.accepted.size).toBeGreaterThan(0);
          app.kill('SIGTERM');
          expect(await app.waitForExit(60_000)).toEqual({ code: 0, signal: null });
          expect(app.output()).not.toMatch(/"level":"(error|critical)"/);
        }
        // Nothing lost: each input has its result, or is still in the inbox or uploads/ to be found.
        const results = await readResults(outbox);
        const waiting = new Set([...(await list(inbox)), ...(await list(uploads))]);
        const lostOrDoubled = [...expected.keys()].filter((input) => results.has(`${input}.result.json`) === waiting.has(input));
        expect(lostOrDoubled).toEqual([]);
        expect(results.size).toBeGreaterThan(0);
        expect(waiting.size).toBeGreaterThan(0);
        expect((await list(outbox)).filter((name) => name.startsWith('.'))).toEqual([]);
        {
          await using app = await startOn(runtime, dataDir, {});
          await pollUntil(
            async () => {
              const pending = (await list(inbox)).length + (await list(uploads)).length;
              return pending === 0 && (await countResults(outbox)) >= expected.size ? true : undefined;
            },
            { timeoutMs: 120_000, intervalMs: 200, description: `${expected.size} results after the restart\n${app.output()}` },
          );
          expect(await resultProblems(outbox, expected)).toEqual([]);
          expect(await list(inbox)).toEqual([]);
          expect(await list(uploads)).toEqual([]);
          expect(await list(failed)).toEqual([]);
          app.kill('SIGTERM');
          expect(await app.waitForExit(60_000)).toEqual({ code: 0, signal: null });
        }
      } finally {
        await rm(dataDir, { recursive: true, force: true, maxRetries: 3 });
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'ends with exactly one result per input when SIGKILLed three times mid-processing and mid-upload, then restarted',
    async () => {
      const dataDir = await makeTempDataDir();
      try {
        const { inbox, outbox, uploads, failed } = dirs(dataDir);
        const expected: Expected = new Map();
        const unknownHashes = new Set<string>();
        for (const [name, hash] of await dropFiles(inbox, 600, 'kill')) expected.set(name, hash);
        const cycles: { delay: string; killAt: number }[] = [
          { delay: '0', killAt: 40 },
          { delay: '3', killAt: 60 },
          { delay: '0', killAt: 120 },
        ];
        for (const [index, cycle] of cycles.entries()) {
          await using app = await startOn(runtime, dataDir, { FILE_PROCESSING_DELAY_MS: cycle.delay });
          const uploadsDuring = uploadLoop(app, `kill${index}-up`);
          await waitForProcessed(app, cycle.killAt);
          app.kill('SIGKILL');
          expect(await app.waitForExit(60_000)).toEqual({ code: null, signal: 'SIGKILL' });
          await uploadsDuring.stop();
          for (const [name, hash] of uploadsDuring.accepted) expected.set(name, hash);
          for (const hash of uploadsDuring.unknown.values()) unknownHashes.add(hash);
          // At no instant may an input have two results.
          expect(await duplicatesOrStrangers(outbox, expected, unknownHashes)).toEqual([]);
        }
        {
          await using app = await startOn(runtime, dataDir, {});
          // Done when nothing waits any more; then every known input must have exactly one result.
          await pollUntil(
            async () => {
              const pending = (await list(inbox)).length + (await list(uploads)).length;
              return pending === 0 && (await countResults(outbox)) >= expected.size ? true : undefined;
            },
            { timeoutMs: 120_000, intervalMs: 200, description: `every input processed after the last restart\n${app.output()}` },
          );
          const status = await filesStatus(app);
          expect(status['failed']).toBe(0);
          expect(await duplicatesOrStrangers(outbox, expected, unknownHashes)).toEqual([]);
          // Uploads the client never heard back about may have been accepted (then: one result) or not (none).
          const known = await resultProblems(outbox, expected);
          expect(known.filter((problem) => !problem.startsWith('unexpected result for '))).toEqual([]);
          expect(known.length).toBeLessThanOrEqual(unknownHashes.size);
          expect(await list(failed)).toEqual([]);
          app.kill('SIGTERM');
          expect(await app.waitForExit(60_000)).toEqual({ code: 0, signal: null });
        }
      } finally {
        await rm(dataDir, { recursive: true, force: true, maxRetries: 3 });
      }
    },
    TEST_TIMEOUT_MS,
  );
});
