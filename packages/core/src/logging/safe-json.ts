import { serializeError } from './serialize-error.ts';

/**
 * `JSON.stringify` that does not throw on what log fields and health data commonly hold:
 *
 * - circular references become `'[Circular]'` (a value seen twice on DIFFERENT branches is written
 *   twice: only a reference back to an ancestor is a cycle);
 * - BigInt becomes its decimal string;
 * - errors become {@link serializeError}'s plain data instead of `{}`;
 * - `Map` becomes an array of `[key, value]` pairs, `Set` an array of its values.
 *
 * When serialisation fails anyway (a `toJSON` or a getter that throws), the result is the JSON
 * string `"[Unserializable: <reason>]"`; `undefined`, functions and symbols at the top level give
 * `undefined`, as with `JSON.stringify`.
 */
export function safeJsonStringify(value: unknown, space?: number): string | undefined {
  try {
    return JSON.stringify(value, createSafeReplacer(), space);
  } catch (error) {
    return JSON.stringify(`[Unserializable: ${reason(error)}]`);
  }
}

/**
 * The replacer behind {@link safeJsonStringify}, for callers that need `JSON.stringify` itself.
 * Use a new one per `JSON.stringify` call: it tracks the path from the root.
 */
export function createSafeReplacer(): (this: unknown, key: string, value: unknown) => unknown {
  // The path from the root to the value being written: the originals (to detect cycles) and what
  // was written in their place (JSON.stringify passes that as `this` to the children).
  const path: { readonly original: object; readonly written: object }[] = [];
  return function replacer(this: unknown, _key: string, value: unknown): unknown {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value !== 'object' || value === null) return value;
    while (path.length > 0 && path.at(-1)?.written !== this) path.pop();
    if (path.some((step) => step.original === value || step.written === value)) return '[Circular]';
    let written: object = value;
    if (value instanceof Map) written = Array.from(value as Map<unknown, unknown>);
    else if (value instanceof Set) written = Array.from(value as Set<unknown>);
    else if (value instanceof Error) written = serializeError(value);
    path.push({ original: value, written });
    return written;
  };
}

function reason(error: unknown): string {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    return 'unknown error';
  }
}
