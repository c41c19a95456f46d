/**
 * A Lua script run with `EVALSHA`, falling back to `EVAL` when the server does not know it
 * (`NOSCRIPT`: first use, or the server restarted or ran `SCRIPT FLUSH`). `EVAL` also caches the
 * script on the server, so the fallback happens once per server start.
 */
export class LuaScript {
  /** The script's text. */
  readonly source: string;
  #sha: Promise<string> | undefined;

  /** Wraps `source`; nothing is sent to the server until the script first runs. */
  constructor(source: string) {
    this.source = source;
  }

  /** SHA-1 of the source in hex, as `SCRIPT LOAD` and `EVALSHA` name it. */
  sha(): Promise<string> {
    this.#sha ??= sha1Hex(this.source);
    return this.#sha;
  }
}

async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Whether `error` is Redis's reply to `EVALSHA` of a script it does not have. */
export function isNoScriptError(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
