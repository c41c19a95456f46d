import {
  ServiceCollection,
  type DependencyFactory,
  type DependencyList,
  type ResolverFactory,
  type ServiceCollectionOptions,
} from '../dependency-injection/service-collection.ts';
import type { ServiceProvider } from '../dependency-injection/service-provider.ts';
import { ServiceNotFoundError } from '../dependency-injection/service-not-found-error.ts';
import { identifierOf } from '../dependency-injection/service.ts';
import { checkToken, tokenName, type ServiceToken } from '../dependency-injection/token.ts';
import type { HostedServiceDescriptor } from './host.ts';
import type { HostedService } from './hosted-service.ts';

/**
 * The {@link ServiceCollection} of a host builder (`builder.services`): everything a
 * `ServiceCollection` does, plus {@link addHostedService}.
 */
export class HostServiceCollection extends ServiceCollection {
  readonly #hosted: HostedServiceDescriptor[] = [];
  readonly #hostedTokens = new Set<ServiceToken<HostedService>>();
  /** Hosted services registered by token only: bound in the inversify container. */
  readonly #bound: HostedServiceDescriptor[] = [];

  /** Creates an empty collection with no hosted services; see {@link ServiceCollection} for `options`. */
  constructor(options?: ServiceCollectionOptions) {
    super(options);
  }

  /** The hosted services registered so far, in registration order (their start order). */
  get hostedServices(): readonly HostedServiceDescriptor[] {
    return this.#hosted;
  }

  /**
   * Registers a hosted service: a singleton under `token` (resolvable like any other service)
   * that the host resolves, starts and stops. Start order is registration order; stop order is
   * the reverse.
   *
   * ```ts
   * builder.services.addHostedService(Cleanup, [ServiceScopeFactory, TimeProviderToken], (scopes, time) => new Cleanup(scopes, time));
   * ```
   *
   * With the token alone, the service is one bound the inversify way (`bind(Worker).toSelf()
   * .inSingletonScope()` on `services.container` or in a module), which hostkit takes over at
   * build (see `ServiceCollection.container`); {@link build} fails with `ServiceNotFoundError`
   * when nothing is bound for it.
   * @throws Error when `token` is already registered as a hosted service: it would start twice.
   * @throws TypeError when the token, dependency list or factory is not what is expected.
   */
  addHostedService<T extends HostedService>(token: ServiceToken<T>): this;
  /** Registers a hosted service made by a factory that resolves what it needs itself. */
  addHostedService<T extends HostedService>(token: ServiceToken<T>, factory: ResolverFactory<NoInfer<T>>): this;
  /** Registers a hosted service made by a factory from its dependency list, checked at build. */
  addHostedService<T extends HostedService, const D extends DependencyList>(
    token: ServiceToken<T>,
    dependencies: D,
    factory: DependencyFactory<NoInfer<T>, D>,
  ): this;
  addHostedService(token: unknown, ...rest: unknown[]): this {
    const checked = checkToken(token, 'hosted service token') as ServiceToken<HostedService>;
    const name = tokenName(checked);
    if (this.#hostedTokens.has(checked)) {
      throw new Error(`Hosted service '${name}' is already registered: a hosted service is registered once, or it would start twice.`);
    }
    const descriptor: HostedServiceDescriptor = Object.freeze({ token: checked, name });
    if (rest.length === 0) {
      this.#bound.push(descriptor);
    } else {
      // The implementation signature of the overloaded addSingleton takes the arguments as given.
      (ServiceCollection.prototype.addSingleton as (this: ServiceCollection, ...args: unknown[]) => ServiceCollection).apply(this, [
        checked,
        ...rest,
      ]);
    }
    this.#hosted.push(descriptor);
    this.#hostedTokens.add(checked);
    return this;
  }

  /**
   * {@link ServiceCollection.build}, after checking that each hosted service registered by token
   * alone is registered or bound in the container.
   * @throws ServiceNotFoundError naming the first hosted service that nothing provides.
   */
  override build(): ServiceProvider {
    for (const { token, name } of this.#bound) {
      if (!this.has(token) && !this.container.isBound(identifierOf(token))) throw new ServiceNotFoundError(name);
    }
    return super.build();
  }
}
