/**
 * What the file-processing end-to-end tests share: dropping files into a running program's inbox,
 * uploading through its POST /upload, and checking DATA_DIR for "every input has exactly one
 * result" (the crash-safety promise) from outside the process.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppProcess } from '../e2e/app-process.ts';

/** The input's name and the SHA-256 its result must show. */
export type Expected = Map<string, string>;

export function sha256(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/** DATA_DIR's subdirectories. */
export function dirs(dataDir: string): { inbox: string; outbox: string; failed: string; uploads: string } {
  return { inbox: join(dataDir, 'inbox'), outbox: join(dataDir, 'outbox'), failed: join(dataDir, 'failed'), uploads: join(dataDir, 'uploads') };
}

/** The names in `directory`, sorted; [] when it does not exist yet. */
export async function list(directory: string): Promise<string[]> {
  try {
    return (await readdir(directory)).sort();
  } catch {
    return [];
  }
}

/**
 * Drops `count` files into `inbox` as other programs would: every other one written in place,
 * the rest written under a hidden temporary name and renamed in. Each has unique content.
 */
export async function dropFiles(inbox: string, count: number, prefix: string): Promise<Expected> {
  const expected: Expected = new Map();
  // Before the first start the program has not made it yet: files may be there before it is.
  await mkdir(inbox, { recursive: true });
  for (let i = 0; i < count; i++) {
    const name = `${prefix}-${String(i).padStart(4, '0')}.txt`;
    const content = `${prefix} file ${i}\n${randomBytes(8 + (i % 50)).toString('hex')} words here\n`;
    if (i % 2 === 0) {
      await writeFile(join(inbox, name), content);
    } else {
      await writeFile(join(inbox, `.${name}.tmp`), content);
      await rename(join(inbox, `.${name}.tmp`), join(inbox, name));
    }
    expected.set(name, sha256(content));
  }
  return expected;
}

/** POST /upload with one file part; returns the status, the body and the Retry-After header. */
export async function upload(
  app: AppProcess,
  fileName: string,
  content: string | Uint8Array<ArrayBuffer>,
): Promise<{ status: number; body: Record<string, unknown>; retryAfter: string | null }> {
  const form = new FormData();
  form.append('file', new Blob([typeof content === 'string' ? new TextEncoder().encode(content) : content]), fileName);
  const response = await app.fetch('/upload', { method: 'POST', body: form });
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: response.status, body, retryAfter: response.headers.get('retry-after') };
}

/** Every `*.result.json` in the outbox, by name, parsed. */
export async function readResults(outbox: string): Promise<Map<string, { input: string; sha256: string }>> {
  const results = new Map<string, { input: string; sha256: string }>();
  for (const name of await list(outbox)) {
    if (!name.endsWith('.result.json') || name.startsWith('.')) continue;
    results.set(name, JSON.parse(await readFile(join(outbox, name), 'utf8')) as { input: string; sha256: string });
  }
  return results;
}

/** How many `.result.json` files the outbox holds (cheap: no parsing). */
export async function countResults(outbox: string): Promise<number> {
  return (await list(outbox)).filter((name) => name.endsWith('.result.json') && !name.startsWith('.')).length;
}

/**
 * Problems with "each expected input has exactly one result, with its content's hash, and
 * nothing else is in the outbox"; [] when all is well.
 */
export async function resultProblems(outbox: string, expected: Expected): Promise<string[]> {
  const problems: string[] = [];
  const results = await readResults(outbox);
  const byInput = new Map<string, string[]>();
  for (const [name, result] of results) byInput.set(result.input, [...(byInput.get(result.input) ?? []), name]);
  for (const [input, hash] of expected) {
    const names = byInput.get(input) ?? [];
    if (names.length !== 1) problems.push(`${input}: ${names.length} results (${names.join(', ')})`);
    else if (results.get(names[0]!)?.sha256 !== hash) problems.push(`${input}: wrong sha256 in ${names[0]}`);
    if (names.length === 1 && names[0] !== `${input}.result.json`) problems.push(`${input}: result named ${names[0]}`);
  }
  for (const input of byInput.keys()) if (!expected.has(input)) problems.push(`unexpected result for ${input}`);
  for (const name of await list(outbox)) if (!name.endsWith('.result.json')) problems.push(`left in the outbox: ${name}`);
  return problems;
}

/** GET /status's `services.files`. */
export async function filesStatus(app: AppProcess): Promise<Record<string, unknown>> {
  const response = await app.fetch('/status');
  const body = (await response.json()) as { services: { files: Record<string, unknown> } };
  return body.services.files;
}
