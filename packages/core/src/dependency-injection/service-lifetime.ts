/**
 * How long an instance lives, as in .NET's `ServiceLifetime`:
 *
 * - `singleton`: one instance for the provider, created on first resolution, disposed with the
 *   provider. Hosted services are singletons.
 * - `scoped`: one instance per {@link ServiceScope} (one unit of work: one file, one tick),
 *   disposed when the scope ends. Resolving one from the root provider is an error.
 * - `transient`: a new instance on every resolution, disposed by whoever resolved it: the scope,
 *   or the provider when resolved from the root or by a singleton.
 */
export type ServiceLifetime = 'singleton' | 'scoped' | 'transient';
