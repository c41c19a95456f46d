import { createToken, type ServiceToken, type Token } from './token.ts';

/**
 * Resolves services: what a {@link ServiceScope}, the root `ServiceProvider` and the argument of
 * a resolver factory (`(sp) => new WeatherApi(sp.get(HttpClient))`) have in common.
 *
 * Resolution is synchronous: factories run inside `get` and must not return promises meant to be
 * awaited. Asynchronous initialisation belongs in a hosted service's `start`.
 */
export interface ServiceResolver {
  /**
   * Returns the service registered last for `token`, creating it if its lifetime asks for it.
   * @throws ServiceNotFoundError when nothing is registered for `token`.
   * @throws CaptiveDependencyError when a scoped service would be resolved from the root provider
   *   or for a singleton.
   * @throws CircularDependencyError when resolving `token` needs `token` again.
   * @throws ObjectDisposedError when this resolver, or its provider, has been disposed.
   * @throws whatever a factory throws, unchanged.
   */
  get<T>(token: ServiceToken<T>): T;
  /**
   * Like {@link get}, but returns `undefined` when nothing is registered for `token`. Every other
   * error is still thrown.
   */
  tryGet<T>(token: ServiceToken<T>): T | undefined;
  /**
   * Returns one instance per registration of `token`, in registration order (multi-registration,
   * as in .NET); an empty array when there is none.
   */
  getAll<T>(token: ServiceToken<T>): T[];
}

/**
 * Resolves to the resolver that is resolving: the scope inside a scope, the root provider for a
 * singleton or at the root. Put it in a dependency list when a factory needs to resolve lazily.
 */
export const ServiceResolver: Token<ServiceResolver> = createToken<ServiceResolver>('ServiceResolver');
