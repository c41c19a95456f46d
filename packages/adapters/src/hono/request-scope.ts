import type { ServiceScope, ServiceScopeFactory, ServiceToken } from '@hostkit/core';

/**
 * What a {@link HonoServerService} gives every route, as Hono bindings: `c.env.scope` and
 * `c.env.signal`. Bindings rather than middleware-set variables: the server passes them to
 * `app.fetch` directly, so a route costs no middleware (Hono answers a route with one handler
 * without composing a chain).
 */
export interface HostkitBindings {
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
  /** See {@link HostkitBindings}. */
  Bindings: HostkitBindings;
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
        'c.env.scope was first used after the route returned its response: resolve scoped services before returning (in a streamed response, at the start of its callback)',
      );
    }
    this.#scope = this.#factory.createScope();
    return this.#scope;
  }
}
