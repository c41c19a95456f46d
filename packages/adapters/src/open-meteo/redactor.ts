/**
 * Keeps the API key out of everything the client hands back or logs.
 *
 * Open-Meteo's commercial API takes the key as the `apikey` query parameter, so it is part of
 * every request URL, and a transport error may quote that URL (undici's MockAgent does, a proxy
 * or a future undici version may). Every error message, `cause` chain and log field leaves the
 * client through this class.
 * @module
 */

/** What stands in for the key. */
export const redactedText = '[redacted]';

/** How deep a `cause` chain is followed; deeper links are dropped from copies. */
const maxDepth = 8;

interface ErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly stack?: unknown;
  readonly cause?: unknown;
  readonly errors?: unknown;
}

export class Redactor {
  /** The key as written and URL-encoded (when that differs): the forms a message can quote. */
  readonly #secrets: readonly string[];

  /** @param secret The API key; `undefined` makes every method return its input. */
  constructor(secret: string | undefined) {
    if (secret === undefined) this.#secrets = [];
    else {
      const encoded = encodeURIComponent(secret);
      this.#secrets = encoded === secret ? [secret] : [secret, encoded];
    }
  }

  /** `text` with every occurrence of the key replaced by {@link redactedText}. */
  text(text: string): string {
    let result = text;
    for (const secret of this.#secrets) {
      if (result.includes(secret)) result = result.replaceAll(secret, redactedText);
    }
    return result;
  }

  /**
   * `error` itself when neither it nor its `cause` chain mentions the key (the usual case, so the
   * original error, with its class, reaches the caller); otherwise a plain `Error` copy with the
   * same name, message, stack, string and number properties (such as `code`) and cause chain, each
   * with the key replaced.
   */
  error(error: unknown): unknown {
    if (this.#secrets.length === 0 || !this.#mentions(error, 0)) return error;
    return this.#copy(error, 0);
  }

  #contains(value: unknown): boolean {
    return typeof value === 'string' && this.#secrets.some((secret) => value.includes(secret));
  }

  #mentions(value: unknown, depth: number): boolean {
    if (this.#contains(value)) return true;
    if (typeof value !== 'object' || value === null || depth > maxDepth) return false;
    const error = value as ErrorLike;
    if (this.#contains(error.message) || this.#contains(error.stack)) return true;
    for (const key of Object.keys(value)) {
      const property = (value as Record<string, unknown>)[key];
      if (this.#contains(property)) return true;
    }
    if (this.#mentions(error.cause, depth + 1)) return true;
    return Array.isArray(error.errors) && error.errors.some((inner) => this.#mentions(inner, depth + 1));
  }

  #copy(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.text(value);
    if (typeof value !== 'object' || value === null) return value;
    if (depth > maxDepth) return undefined;
    const original = value as ErrorLike;
    const message = typeof original.message === 'string' ? this.text(original.message) : '';
    const copy = new Error(
      message,
      original.cause === undefined ? undefined : { cause: this.#copy(original.cause, depth + 1) },
    ) as Error & Record<string, unknown>;
    if (typeof original.name === 'string') copy.name = original.name;
    copy.stack = typeof original.stack === 'string' ? this.text(original.stack) : `${copy.name}: ${message}`;
    for (const key of Object.keys(value)) {
      if (key === 'message' || key === 'stack' || key === 'cause' || key === 'name') continue;
      const property = (value as Record<string, unknown>)[key];
      if (typeof property === 'string') copy[key] = this.text(property);
      else if (typeof property === 'number' || typeof property === 'boolean') copy[key] = property;
    }
    if (Array.isArray(original.errors)) {
      copy['errors'] = original.errors.map((inner: unknown) => this.#copy(inner, depth + 1));
    }
    return copy;
  }
}
