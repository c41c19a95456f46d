import type { ServiceScope, ServiceScopeFactory, ServiceToken } from '@hostkit/core';
import type { MiddlewareHandler } from 'hono';

/**
 * The Hono context variables a {@link HonoServerService} gives every route: `c.var.scope` and
 * `c.var.signal`.
 */
export interface HostkitVariables {
  /**
   * This request's DI scope: scoped services resolved from it are created once per request and
   * disposed when the response is done (its body sent, or the client gone). Created on first use,
   * so a route that resolves nothing pays nothing.
   */
  readonly scope: ServiceScope;
  /**
   * Aborts when the client goes away, or when the server's drain is over at stop (the request then
   * gets a 503): pass it to long work.
   */
  readonly signal: AbortSignal;
}

/** The Hono environment of an app served by {@link HonoServerService}: `new Hono<HostkitEnv>()`. */
export interface HostkitEnv {
  /** See {@link HostkitVariables}. */
  Variables: HostkitVariables;
}

/**
 * A request's scope, created on first use. Once the response has been handed to the server
 * (`seal`), first use is an error: nothing would be left to dispose the scope.
 */
export class RequestScope implements ServiceScope {
  readonly #factory: ServiceScopeFactory;
  #scope: ServiceScope | undefined = undefined;
  #sealed = false;

  constructor(factory: ServiceScopeFactory) {
    this.#factory = factory;
  }

  /** Whether a route used the scope (then the response's end disposes it). */
  get created(): boolean {
    return this.#scope !== undefined;
  }

  /** Called when the handler has returned its response and the scope was not used. */
  seal(): void {
    this.#sealed = true;
  }

  /** See `ServiceResolver.get`. */
  get<T>(token: ServiceToken<T>): T {
    return this.#inner().get(token);
  }

  /** See `ServiceResolver.tryGet`. */
  tryGet<T>(token: ServiceToken<T>): T | undefined {
    return this.#inner().tryGet(token);
  }

  /** See `ServiceResolver.getAll`. */
  getAll<T>(token: ServiceToken<T>): T[] {
    return this.#inner().getAll(token);
  }

  /** Called when the response is done: disposes what the request created. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#sealed = true;
    await this.#scope?.[Symbol.asyncDispose]();
  }

  #inner(): ServiceScope {
    if (this.#scope !== undefined) return this.#scope;
    if (this.#sealed) {
      throw new Error(
        'c.var.scope was first used after the route returned its response: resolve scoped services before returning (in a streamed response, at the start of its callback)',
      );
    }
    this.#scope = this.#factory.createScope();
    return this.#scope;
  }
}

/** What the server records for each request it hands to the app. */
export interface RequestContext {
  readonly scope: ServiceScope;
  readonly signal: AbortSignal;
}

/** The server's per-request context, keyed by the request object the app receives. */
export const requestContexts: WeakMap<Request, RequestContext> = new WeakMap();

/**
 * The middleware that puts {@link HostkitVariables} on the context; {@link createHonoApp}
 * installs it first. A request that did not come through a {@link HonoServerService} (an app
 * called directly in a test with `app.request(...)`) gets the request's own signal and a scope
 * that throws when used.
 */
export function hostkitVariables(): MiddlewareHandler<HostkitEnv> {
  return async (c, next) => {
    const context = requestContexts.get(c.req.raw);
    c.set('signal', context?.signal ?? c.req.raw.signal);
    c.set('scope', context?.scope ?? unservedScope);
    await next();
  };
}

const unserved = (): never => {
  throw new Error('c.var.scope is only available to requests served by a HonoServerService');
};
const unservedScope: ServiceScope = {
  get: unserved,
  tryGet: unserved,
  getAll: unserved,
  [Symbol.asyncDispose]: () => Promise.resolve(),
};
