/**
 * Names for DI tokens, services and instances in hosting's log categories and messages. Internal:
 * not exported from the package.
 * @module
 */

/**
 * A human name for a DI token, a service or an instance: a class's or function's name, a token's
 * `name` or `description`, an instance's constructor name. Used for log categories and messages.
 */
export function nameOf(value: unknown): string {
  if (typeof value === 'function') return value.name === '' ? '(anonymous)' : value.name;
  if (typeof value === 'string') return value;
  if (typeof value === 'symbol') return value.description ?? value.toString();
  if (typeof value === 'object' && value !== null) {
    const named = value as { name?: unknown; description?: unknown; constructor?: { name?: unknown } };
    if (typeof named.name === 'string' && named.name !== '') return named.name;
    if (typeof named.description === 'string' && named.description !== '') return named.description;
    const constructorName = named.constructor?.name;
    if (typeof constructorName === 'string' && constructorName !== '' && constructorName !== 'Object') return constructorName;
  }
  return String(value);
}

