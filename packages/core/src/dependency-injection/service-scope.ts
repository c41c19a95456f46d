import type { ServiceResolver } from './service-resolver.ts';
import { createToken, type Token } from './token.ts';

/**
 * One unit of work (one file, one tick, one request): resolves each scoped service once, and
 * when it ends disposes what it created.
 *
 * ```ts
 * await using scope = scopeFactory.createScope();
 * await scope.get(FileProcessor).process(path);
 * ```
 *
 * At disposal, every instance the scope created, scoped AND transient, that implements
 * `Symbol.asyncDispose` or `Symbol.dispose` is disposed in reverse creation order (a service
 * before the services it was built from), one at a time. A failing disposal does not skip the
 * others: the errors are collected and thrown at the end, one as is, several as an
 * `AggregateError`. Disposing again is a no-op; resolving from a disposed scope throws
 * `ObjectDisposedError`.
 *
 * Scopes are cheap (no container per scope): create one per unit of work.
 */
export interface ServiceScope extends ServiceResolver, AsyncDisposable {}

/**
 * Creates scopes. Inject it (`[ServiceScopeFactory]`) into singletons such as hosted services
 * that run units of work: the one correct way for a singleton to use scoped services.
 */
export interface ServiceScopeFactory {
  /**
   * Starts a unit of work.
   * @throws ObjectDisposedError when the provider has been disposed.
   */
  createScope(): ServiceScope;
}

/** Resolves to the provider's {@link ServiceScopeFactory}, from anywhere, singletons included. */
export const ServiceScopeFactory: Token<ServiceScopeFactory> =
  createToken<ServiceScopeFactory>('ServiceScopeFactory');
