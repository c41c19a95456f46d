/**
 * Dependency injection with scopes, over inversify: register with factories and dependency lists
 * in a {@link ServiceCollection} (no decorators needed), build a {@link ServiceProvider}, run each
 * unit of work in a {@link ServiceScope}.
 *
 * Code written the inversify way (`@injectable()` classes, `bind(X).toSelf().inRequestScope()`,
 * a `ContainerModule`, an application's own `Container`) gets the same lifetimes, scope disposal
 * and build-time checks: see `ServiceCollection.container` and
 * `ServiceCollection.addContainerModule`.
 * @module
 */
export { createToken, Token, type ServiceClass, type ServiceToken, type ServiceType } from './token.ts';
export type { ServiceLifetime } from './service-lifetime.ts';
export { ServiceResolver } from './service-resolver.ts';
export { ServiceScopeFactory, type ServiceScope } from './service-scope.ts';
export type { ServiceProvider } from './service-provider.ts';
export {
  ServiceCollection,
  type DependencyFactory,
  type DependencyList,
  type ResolvedDependencies,
  type ResolverFactory,
  type ServiceCollectionOptions,
} from './service-collection.ts';
export { CaptiveDependencyError } from './captive-dependency-error.ts';
export { CircularDependencyError } from './circular-dependency-error.ts';
export { ObjectDisposedError } from './object-disposed-error.ts';
export { ServiceNotFoundError, type ServiceNotFoundErrorOptions } from './service-not-found-error.ts';
