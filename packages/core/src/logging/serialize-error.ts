/**
 * An error as plain data: what the JSON log format writes and what a health report body shows.
 *
 * Besides the fixed keys, the error's own enumerable properties are copied as they are (Node's
 * `code`, `errno`, `syscall`, `path`; an HTTP client's `status`), so nothing an error carries for
 * diagnosis is lost.
 */
export interface SerializedError {
  /** `error.name`, e.g. `TypeError`; `NonError` when the value thrown was not an error. */
  readonly name: string;
  /** `error.message`, or the thrown value as a string when it was not an error. */
  readonly message: string;
  /** The stack trace as the runtime wrote it (first line included), when there is one. */
  readonly stack?: string;
  /**
   * `error.cause`: serialised in turn when it is an error, kept as it is otherwise. A chain
   * deeper than {@link maxCauseDepth}, or one that loops, ends with the string `'[Circular]'` or
   * `'[Truncated]'`.
   */
  readonly cause?: unknown;
  /** An `AggregateError`'s `errors`, each serialised. */
  readonly errors?: readonly unknown[];
  /** The error's other own properties (`code`, `status`...), serialised. */
  readonly [key: string]: unknown;
}

/** How many `cause` links {@link serializeError} follows before it writes `'[Truncated]'`. */
export const maxCauseDepth = 16;

const reservedKeys = new Set(['name', 'message', 'stack', 'cause', 'errors']);

/**
 * Turns anything thrown into plain data. Never throws: getters that throw, causes that loop and
 * values that are not errors at all (a thrown string, `undefined`) all give a usable result.
 *
 * Errors from another realm (a worker, a `vm` context) fail `instanceof Error`; any object with a
 * string `message` is treated as an error too.
 */
export function serializeError(error: unknown): SerializedError {
  return serialize(error, new Set(), 0);
}

/** Whether `value` is an `Error`, or an object shaped like one (a string `message`). */
export function isErrorLike(value: unknown): value is { readonly name?: unknown; readonly message: string } {
  if (value instanceof Error) return true;
  if (typeof value !== 'object' || value === null) return false;
  return typeof read(value, 'message') === 'string';
}

function serialize(error: unknown, seen: Set<object>, depth: number): SerializedError {
  if (!isErrorLike(error)) return { name: 'NonError', message: describeThrown(error) };
  seen.add(error);
  const name = read(error, 'name');
  const result: Record<string, unknown> = {
    name: typeof name === 'string' && name !== '' ? name : 'Error',
    message: String(read(error, 'message')),
  };
  const stack = read(error, 'stack');
  if (typeof stack === 'string') result['stack'] = stack;
  if (hasOwnOrInherited(error, 'cause')) {
    result['cause'] = serializeLinked(read(error, 'cause'), seen, depth + 1);
  }
  const errors = read(error, 'errors');
  if (Array.isArray(errors)) {
    result['errors'] = errors.map((inner: unknown) => serializeLinked(inner, seen, depth + 1));
  }
  let keys: string[] = [];
  try {
    keys = Object.keys(error);
  } catch {
    // A proxy that refuses to list its keys: keep what was read so far.
  }
  for (const key of keys) {
    if (reservedKeys.has(key) || key === '__proto__') continue;
    result[key] = read(error, key);
  }
  return result as SerializedError;
}

function serializeLinked(value: unknown, seen: Set<object>, depth: number): unknown {
  if (!isErrorLike(value)) return value;
  if (seen.has(value)) return '[Circular]';
  if (depth > maxCauseDepth) return '[Truncated]';
  return serialize(value, seen, depth);
}

function hasOwnOrInherited(value: object, key: string): boolean {
  try {
    return key in value;
  } catch {
    return false;
  }
}

function read(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch (error) {
    return `[Unreadable: ${error instanceof Error ? error.message : 'getter threw'}]`;
  }
}

/** A thrown value that is not an error, as text: strings as they are, objects as JSON when possible. */
function describeThrown(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    try {
      const json = JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'bigint' ? inner.toString() : inner));
      if (typeof json === 'string') return json;
    } catch {
      // Circular or hostile: fall back to the tag below.
    }
    return Object.prototype.toString.call(value);
  }
  try {
    return String(value);
  } catch {
    return typeof value;
  }
}
