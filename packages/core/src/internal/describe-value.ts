/**
 * Formats a bad argument for an error message: the value, then its type, e.g. `1.5 (number)`,
 * `"5" (string)`, `an instance of Date (object)`. Never throws, whatever it is given.
 *
 * Every area's argument checks use it, so that all of hostkit's "Expected X, got Y" messages read
 * alike; adapters get it from `@hostkit/core/adapter-kit` for theirs.
 * @module
 */
export function describeValue(value: unknown): string {
  let shown: string;
  if (typeof value === 'string') shown = JSON.stringify(value);
  else if (typeof value === 'function') shown = value.name === '' ? '(anonymous function)' : `class or function ${value.name}`;
  else if (typeof value === 'symbol') shown = value.toString();
  else if (typeof value === 'bigint') shown = `${value}n`;
  else if (typeof value === 'object' && value !== null) shown = describeObject(value);
  else shown = String(value);
  return `${shown} (${value === null ? 'null' : typeof value})`;
}

function describeObject(value: object): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : `Date ${value.toISOString()}`;
  const constructorName = (value as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof constructorName === 'string' && constructorName !== '' && constructorName !== 'Object') {
    return `an instance of ${constructorName}`;
  }
  try {
    return JSON.stringify(value) ?? Object.prototype.toString.call(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
