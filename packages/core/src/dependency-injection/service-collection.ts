import { Container, type ContainerModule } from 'inversify';
import type { AnyFactory, Registration } from './service.ts';
import type { ServiceLifetime } from './service-lifetime.ts';
import { RootProvider, type ServiceProvider } from './service-provider.ts';
import { ServiceResolver } from './service-resolver.ts';
import { ServiceScopeFactory } from './service-scope.ts';
import { describeValue } from '../internal/describe-value.ts';
import { checkToken, tokenName, type ServiceToken, type ServiceType } from './token.ts';

/** A factory that resolves what it needs itself: its dependencies are known only when it runs. */
export type ResolverFactory<T> = (resolver: ServiceResolver) => T;

/** The tokens a factory's parameters are resolved from, in order. */
export type DependencyList = readonly ServiceToken<unknown>[];

/** The factory parameters that a {@link DependencyList} resolves to: `[typeof Clock]` gives `[Clock]`. */
export type ResolvedDependencies<D extends DependencyList> = { -readonly [K in keyof D]: ServiceType<D[K]> };

/** A factory whose parameters are resolved from a {@link DependencyList}. */
export type DependencyFactory<T, D extends DependencyList> = (...dependencies: ResolvedDependencies<D>) => T;

/** Options for {@link ServiceCollection}. */
export interface ServiceCollectionOptions {
  /**
   * The inversify container to bind into: an application's existing container, one made with
   * `{ autobind: true }` or with a parent. The classes and resolved values already bound in it
   * are taken over at {@link ServiceCollection.build} (see {@link ServiceCollection.container}).
   * Disposing the provider calls its `unbindAllAsync()`.
   * @default new Container()
   */
  container?: Container | undefined;
}

/**
 * Registrations, then one {@link build} into a {@link ServiceProvider}: the port of .NET's
 * `IServiceCollection`, over an inversify container. hostkit itself needs no decorators; code
 * that uses inversify's own (`@injectable()`, `@inject()`) gets the same lifetimes, see
 * {@link container}.
 *
 * ```ts
 * const services = new ServiceCollection();
 * // A host's builder registers the clock itself; a bare collection needs it added.
 * services.addInstance(TimeProviderToken, systemTimeProvider);
 * // A dependency list names tokens: TimeProviderToken, not the class TimeProvider.
 * services.addSingleton(Clock, [TimeProviderToken], (time) => new Clock(time));
 * services.addSingleton(Database, () => new Database());
 * services.addScoped(LogStore, [Database], (db) => new LogStore(db));
 * services.addTransient(Parser, () => new Parser());
 * const provider = services.build();
 * await using scope = provider.createScope();
 * scope.get(LogStore);
 * ```
 *
 * A factory comes in two forms:
 * - with a dependency list, `(token, [A, B], (a, b) => ...)`: the list is checked at
 *   {@link build} (every token registered, no cycle, no singleton reaching a scoped service);
 *   prefer it;
 * - with a resolver, `(token, (sp) => new X(sp.get(A)))`: for conditional or lazy resolution;
 *   the same checks then happen at its first resolution.
 *
 * Factories are synchronous: a returned promise would be the service. Asynchronous
 * initialisation belongs in a hosted service's `start`.
 *
 * Registering a token again adds a registration: `get` returns the last one, `getAll` all of
 * them in registration order (hosted services are registered this way).
 */
export class ServiceCollection {
  /**
   * The inversify container that {@link build} binds into, for code written the inversify way.
   *
   * At {@link build}, hostkit takes over every identifier bound here with exactly one
   * unconditional binding to a class (`bind(X).toSelf()`, `.to(Impl)`, `@injectable()` classes)
   * or a resolved value (`toResolvedValue(fn, [deps])`): it gets hostkit's lifetimes, as if
   * registered with `add*` before everything else:
   * - `inSingletonScope()` (or `@injectable('Singleton')`): one instance per provider, disposed
   *   with it;
   * - `inRequestScope()`: one instance per hostkit {@link ServiceScope}, disposed when the scope
   *   ends (inversify's own request scope is one `get` call);
   * - `inTransientScope()`, the default: a new instance per resolution, disposed by the scope
   *   that resolved it.
   *
   * inversify still constructs each instance (constructor and property injection,
   * `@postConstruct`, activation handlers); hostkit decides when, and disposes in reverse
   * creation order: `@preDestroy` methods, then `onDeactivation` handlers, then
   * `Symbol.asyncDispose` / `Symbol.dispose`. The dependencies in the classes' metadata are
   * checked at build like dependency lists: a singleton reaching a scoped service is a
   * `CaptiveDependencyError`, an unbound non-`@optional()` one a `ServiceNotFoundError`.
   *
   * Left to inversify, as dependencies only: constants, dynamic values, factories, identifiers
   * bound several times or with `when*` constraints, the bindings of a parent container, and
   * classes that a container made with `{ autobind: true }` binds only when first asked for.
   * Bind before {@link build}, and resolve from the provider rather than from this container
   * before then.
   *
   * inversify's decorators are legacy decorators: the code that uses them needs
   * `"experimentalDecorators": true` (and `"emitDecoratorMetadata"` for unannotated constructor
   * parameters) in its tsconfig or deno.json. inversify loads `reflect-metadata/lite` itself.
   */
  readonly container: Container;
  readonly #registrations: Registration[] = [];
  #built = false;

  /** Creates an empty collection that binds into `options.container`, or into a new inversify container. */
  constructor(options?: ServiceCollectionOptions) {
    this.container = options?.container ?? new Container();
  }

  /**
   * Registers a singleton: one instance for the provider, created on first resolution, disposed
   * with the provider (`Symbol.asyncDispose` / `Symbol.dispose`).
   * @throws TypeError when the token, dependency list or factory is not what is expected.
   */
  addSingleton<T>(token: ServiceToken<T>, factory: ResolverFactory<NoInfer<T>>): this;
  /** Registers a singleton whose factory receives `dependencies`, resolved in order; the list lets `build()` check lifetimes (a captive dependency is an error there). */
  addSingleton<T, const D extends DependencyList>(
    token: ServiceToken<T>,
    dependencies: D,
    factory: DependencyFactory<NoInfer<T>, D>,
  ): this;
  addSingleton(token: unknown, ...rest: unknown[]): this {
    return this.#add('singleton', token, rest);
  }

  /**
   * Registers a scoped service: one instance per scope, disposed when the scope ends. Resolving
   * it from the root provider, or from a singleton, is a `CaptiveDependencyError`.
   * @throws TypeError when the token, dependency list or factory is not what is expected.
   */
  addScoped<T>(token: ServiceToken<T>, factory: ResolverFactory<NoInfer<T>>): this;
  /** Registers a scoped service whose factory receives `dependencies`, resolved in order from the same scope. */
  addScoped<T, const D extends DependencyList>(
    token: ServiceToken<T>,
    dependencies: D,
    factory: DependencyFactory<NoInfer<T>, D>,
  ): this;
  addScoped(token: unknown, ...rest: unknown[]): this {
    return this.#add('scoped', token, rest);
  }

  /**
   * Registers a transient: a new instance on every resolution, disposed by the scope that
   * resolved it, or by the provider when resolved from the root or by a singleton.
   * @throws TypeError when the token, dependency list or factory is not what is expected.
   */
  addTransient<T>(token: ServiceToken<T>, factory: ResolverFactory<NoInfer<T>>): this;
  /** Registers a transient whose factory receives `dependencies`, resolved in order. */
  addTransient<T, const D extends DependencyList>(
    token: ServiceToken<T>,
    dependencies: D,
    factory: DependencyFactory<NoInfer<T>, D>,
  ): this;
  addTransient(token: unknown, ...rest: unknown[]): this {
    return this.#add('transient', token, rest);
  }

  /**
   * Registers a ready value as a singleton. The container does NOT dispose it, even when it is
   * disposable: whoever created it owns it (as .NET does for instances it did not create).
   * @throws TypeError when the token is not a class or a token.
   */
  addInstance<T>(token: ServiceToken<T>, instance: NoInfer<T>): this {
    const checked = this.#checkRegistration(token);
    this.#registrations.push({
      token: checked,
      name: tokenName(checked),
      lifetime: 'singleton',
      source: 'instance',
      factory: undefined,
      dependencies: undefined,
      value: instance,
    });
    return this;
  }

  /**
   * Loads inversify container modules into {@link container} now; {@link build} then takes their
   * bindings over (see {@link container}).
   *
   * ```ts
   * const persistence = new ContainerModule(({ bind }) => {
   *   bind(Database).toSelf().inSingletonScope();
   *   bind(UnitOfWork).toSelf().inRequestScope(); // one per hostkit scope
   * });
   * builder.services.addContainerModule(persistence);
   * ```
   * @throws TypeError when a module loads asynchronously: `await
   *   services.container.loadAsync(module)` before {@link build} instead.
   */
  addContainerModule(...modules: ContainerModule[]): this {
    this.#checkNotBuilt();
    try {
      this.container.load(...modules);
    } catch (error) {
      if (error instanceof Error && /asynchronous module load/i.test(error.message)) {
        throw new TypeError(
          'Expected each ContainerModule given to addContainerModule() to load synchronously, got one ' +
            'whose load returns a promise: await services.container.loadAsync(module) before build() instead.',
          { cause: error },
        );
      }
      throw error;
    }
    return this;
  }

  /** Whether a registration for `token` was added (bindings made on {@link container} not included). */
  has(token: ServiceToken<unknown>): boolean {
    return this.#registrations.some((registration) => registration.token === token);
  }

  /**
   * Checks every registration and builds the provider. Call it once: the collection cannot
   * change afterwards.
   *
   * Reports at once, as one error or an AggregateError of all of them: a dependency list naming
   * a token that nothing registers (`ServiceNotFoundError`, naming both services), cycles
   * (`CircularDependencyError`, with the path), and singletons that reach a scoped service
   * through dependency lists (`CaptiveDependencyError`, naming both). A failed build binds
   * nothing and may be retried after fixing the registrations.
   * @throws Error when called a second time.
   */
  build(): ServiceProvider {
    this.#checkNotBuilt();
    const provider = new RootProvider(this.container, this.#registrations);
    this.#built = true;
    return provider;
  }

  #add(
    lifetime: ServiceLifetime,
    token: unknown,
    rest: unknown[],
  ): this {
    const checked = this.#checkRegistration(token);
    const name = tokenName(checked);
    let dependencies: ServiceToken<unknown>[] | undefined;
    let factory: unknown;
    const [dependenciesOrFactory, lastArgument] = rest;
    if (rest.length <= 1) {
      factory = dependenciesOrFactory;
    } else {
      if (!Array.isArray(dependenciesOrFactory)) {
        throw new TypeError(
          `Expected the dependencies of '${name}' to be an array of classes or tokens, got ` +
            describeValue(dependenciesOrFactory),
        );
      }
      dependencies = (dependenciesOrFactory as unknown[]).map((dependency, i) =>
        checkToken(dependency, `dependencies[${i}] of '${name}'`),
      );
      factory = lastArgument;
    }
    if (typeof factory !== 'function') {
      throw new TypeError(`Expected the factory of '${name}' to be a function, got ${describeValue(factory)}`);
    }
    this.#registrations.push({
      token: checked,
      name,
      lifetime,
      source: 'factory',
      factory: factory as AnyFactory,
      dependencies,
      value: undefined,
    });
    return this;
  }

  #checkRegistration(token: unknown): ServiceToken<unknown> {
    this.#checkNotBuilt();
    const checked = checkToken(token, 'token');
    if (checked === ServiceScopeFactory || checked === ServiceResolver) {
      throw new TypeError(`'${tokenName(checked)}' is provided by the service provider and cannot be registered`);
    }
    return checked;
  }

  #checkNotBuilt(): void {
    if (this.#built) {
      throw new Error(
        'This ServiceCollection has already been built: register everything before build(), ' +
          'and build once.',
      );
    }
  }
}
