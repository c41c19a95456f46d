/**
 * The few Deno APIs the Deno adapter uses, declared by hand so that Node's `tsc` can check
 * `src/deno` without Deno's own types (which it cannot load). Signatures follow Deno 2.9's
 * `lib.deno.ns.d.ts`, narrowed to what is used. `deno check` and `deno publish` never see this
 * file: nothing imports it, Deno brings its own declarations, and deno.json leaves it out of the
 * package.
 */
declare namespace Deno {
  /** The signals this adapter listens for; Deno's own `Signal` type has more. */
  type Signal = 'SIGINT' | 'SIGTERM' | 'SIGQUIT' | 'SIGBREAK';
  function addSignalListener(signal: Signal, handler: () => void): void;
  function removeSignalListener(signal: Signal, handler: () => void): void;
  function exit(code?: number): never;
  /** Since Deno 2.8, timer ids are Node-style `Timeout` objects; pass them as they are. */
  function unrefTimer(id: number | ReturnType<typeof setTimeout>): void;
  let exitCode: number;
  const stdout: { isTerminal(): boolean };
  const build: { readonly os: 'darwin' | 'linux' | 'android' | 'windows' | 'freebsd' | 'netbsd' | 'aix' | 'solaris' | 'illumos' };
}

declare namespace Deno {
  /** What `Deno.serve` passes its handler besides the request (unused here). */
  interface ServeHandlerInfo {
    readonly remoteAddr: { readonly hostname: string; readonly port: number };
  }
  /** The options of `Deno.serve` used by `@hostkit/adapters/hono`. */
  interface ServeOptions {
    port?: number;
    hostname?: string;
    signal?: AbortSignal;
    onListen?: (localAddr: { hostname: string; port: number }) => void;
    onError?: (error: unknown) => Response | Promise<Response>;
    handler: (request: Request, info: ServeHandlerInfo) => Response | Promise<Response>;
  }
  /** The server `Deno.serve` returns. */
  interface HttpServer {
    readonly finished: Promise<void>;
    readonly addr: { hostname: string; port: number };
    shutdown(): Promise<void>;
  }
  function serve(options: ServeOptions): HttpServer;
}
