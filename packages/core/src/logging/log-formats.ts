import type { LogRecord } from './log-record.ts';
import { createSafeReplacer, safeJsonStringify } from './safe-json.ts';
import { isErrorLike, serializeError } from './serialize-error.ts';

/**
 * A record as one line of JSON (no trailing newline), the shape log collectors ingest:
 *
 * ```json
 * {"timestamp":"2026-11-05T09:30:00.000Z","level":"error","category":"app.Upload","eventId":9,
 *  "eventName":"BackgroundServiceFaulted","message":"…","fields":{"file":"a.csv"},
 *  "error":{"name":"Error","message":"…","stack":"…","cause":{…}}}
 * ```
 *
 * `eventId`, `eventName`, `fields` and `error` appear only when the record has them. The error is
 * written by {@link serializeError} (name, message, stack, cause chain, own properties). Never
 * throws: circular fields become `'[Circular]'`, BigInt a string, and fields that cannot be
 * serialised at all (a throwing getter) are replaced by a `"[Unserializable: …]"` string while
 * the rest of the record is kept.
 */
export function formatLogRecordAsJson(record: LogRecord): string {
  const head = {
    timestamp: isoTimestamp(record.timestamp),
    level: record.level,
    category: record.category,
    ...(record.event !== undefined && { eventId: record.event.id, eventName: record.event.name }),
    message: record.message,
  };
  const hasError = 'error' in record;
  try {
    return JSON.stringify(
      {
        ...head,
        ...(record.fields !== undefined && { fields: record.fields }),
        ...(hasError && { error: serializeError(record.error) }),
      },
      createSafeReplacer(),
    );
  } catch (failure) {
    // Only fields and error carry caller data: retry without them, saying why.
    const reason = failure instanceof Error ? failure.message : 'unknown error';
    return JSON.stringify({
      ...head,
      ...(record.fields !== undefined && { fields: `[Unserializable: ${reason}]` }),
      ...(hasError && { error: { name: 'Error', message: safeText(() => serializeError(record.error).message) } }),
    });
  }
}

/**
 * A record as text for a person at a terminal: one line with the time, the level, the category
 * with the event, the message and the fields as `key=value`; then, indented, the error's stack and
 * its cause chain.
 *
 * ```text
 * 2026-11-05T09:30:00.000Z ERROR app.Upload[9 BackgroundServiceFaulted] Upload failed file=a.csv attempt=2
 *   Error: disk full
 *       at …
 *   Caused by: SystemError: ENOSPC
 *       at …
 * ```
 *
 * Lines are separated by `\n`, without a trailing newline. Never throws.
 */
export function formatLogRecordAsText(record: LogRecord): string {
  let line = `${isoTimestamp(record.timestamp)} ${record.level.toUpperCase().padEnd(5)} ${record.category}`;
  if (record.event !== undefined) line += `[${record.event.id} ${record.event.name}]`;
  line += ` ${record.message}`;
  if (record.fields !== undefined) {
    for (const key of Object.keys(record.fields)) line += ` ${key}=${formatTextValue(record.fields[key])}`;
  }
  if ('error' in record) line += `\n${indent(describeErrorChain(record.error))}`;
  return line;
}

function isoTimestamp(timestamp: number): string {
  // toISOString throws outside ±8.64e15 ms and on NaN; a broken clock must not lose the record.
  return Number.isFinite(timestamp) && Math.abs(timestamp) <= 8.64e15 ? new Date(timestamp).toISOString() : String(timestamp);
}

const bareValue = /^[^\s"'=\\]+$/u;

function formatTextValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return bareValue.test(value) ? value : JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'undefined':
    case 'bigint':
    case 'symbol':
      return String(value);
    case 'function':
      return `[Function ${value.name === '' ? '(anonymous)' : value.name}]`;
    default:
      if (value === null) return 'null';
      if (isErrorLike(value)) {
        const error = serializeError(value);
        return JSON.stringify(`${error.name}: ${error.message}`);
      }
      return safeJsonStringify(value) ?? Object.prototype.toString.call(value);
  }
}

/** The error's stack (or `name: message` when it has none), then each cause, then aggregated errors. */
function describeErrorChain(error: unknown): string {
  return safeText(() => describeSerialized(serializeError(error)));
}

function describeSerialized(error: unknown): string {
  if (typeof error !== 'object' || error === null || typeof (error as { message?: unknown }).message !== 'string') {
    // A cause that is not an error, or a '[Circular]' marker.
    return typeof error === 'string' ? error : (safeJsonStringify(error) ?? String(error));
  }
  const { name, message, stack, cause, errors } = error as {
    name?: unknown;
    message: string;
    stack?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  const title = `${String(name)}: ${message}`;
  let text = typeof stack === 'string' ? (stack.startsWith(title) ? stack : `${title}\n${stack}`) : title;
  if (Array.isArray(errors)) {
    for (const [index, inner] of errors.entries()) {
      text += `\n[${index + 1}/${errors.length}] ${describeSerialized(inner)}`;
    }
  }
  if ('cause' in error) text += `\nCaused by: ${describeSerialized(cause)}`;
  return text;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

function safeText(produce: () => string): string {
  try {
    return produce();
  } catch {
    return '[Unprintable error]';
  }
}
