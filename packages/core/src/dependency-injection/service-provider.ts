import type { Container, ServiceIdentifier } from 'inversify';
import { CaptiveDependencyError } from './captive-dependency-error.ts';
import { CircularDependencyError } from './circular-dependency-error.ts';
import { disposeEach, disposeInReverse, isDisposable, throwDisposalErrors } from './dispose-in-reverse.ts';
import { ObjectDisposedError } from './object-disposed-error.ts';
import {
  createConstructKey,
  deactivationOf,
  identifierName,
  readAdoptableBindings,
  rebindForConstruction,
  type AdoptedBinding,
} from './inversify-bindings.ts';
import { identifierOf, Service, type AnyFactory, type Registration } from './service.ts';
import { ServiceNotFoundError, tokenHint } from './service-not-found-error.ts';
import { ServiceResolver } from './service-resolver.ts';
import { ServiceScopeFactory, type ServiceScope } from './service-scope.ts';
import { describeValue } from '../internal/describe-value.ts';
import { checkToken, isServiceToken, Token, tokenName, type ServiceToken } from './token.ts';
import { validateServices } from './validate-services.ts';

/**
 * The root of a built container: resolves singletons and transients, creates scopes, and owns
 * the singletons. Made by `ServiceCollection.build()`.
 *
 * Dispose it (`await provider[Symbol.asyncDispose]()`, or `await using`) when the application
 * ends: singletons and the transients resolved from the root are disposed in reverse creation
 * order (same rules as {@link ServiceScope}), then `container.unbindAllAsync()` runs so inversify's
 * own deactivation handlers (`onDeactivation`, `@preDestroy`) run for bindings made directly on
 * the container. Scopes still open are not disposed: their owner ends them. After disposal every
 * resolution and `createScope()`, on the provider and on its scopes, throws
 * {@link ObjectDisposedError}.
 *
 * Transients resolved from the root stay referenced until the provider is disposed, as in .NET:
 * resolve short-lived disposable transients from a scope.
 */
export interface ServiceProvider extends ServiceResolver, ServiceScopeFactory, AsyncDisposable {
  /**
   * The inversify container holding the bindings, for code that prefers inversify's own API or
   * decorators. Each hostkit registration, and each class or resolved value taken over from the
   * container at build (see `ServiceCollection.container`), is bound under its identifier (a
   * {@link Token}'s `symbol`, the class, the user's identifier) as a redirection to hostkit's
   * lifetime handling, so `@inject(Token.symbol)` and `container.get(SomeClass)` reach the same
   * instances as `provider.get`; a token registered several times is ambiguous to inversify's
   * `get` (use `getAll` / `@multiInject`).
   *
   * Limits: what stays inversify's (constants, dynamic values, factories, conditional or
   * multiple bindings of one identifier, a parent container's bindings, and anything bound
   * after build) is resolved with inversify's scopes, outside hostkit's captive checks and
   * disposal; inversify's deactivation runs for it at provider disposal.
   */
  readonly container: Container;
}

/** Internal: the one ServiceProvider implementation; holds the resolution state machine. */
export class RootProvider implements ServiceProvider {
  readonly container: Container;
  /** Each token's registrations, in registration order. */
  readonly #byToken: Map<ServiceToken<unknown>, Service[]>;
  /**
   * Every service by the inversify identifier it answers to (a token's `symbol`, a class, an
   * adopted binding's identifier): how inversify metadata, and tokens whose symbol a user bound
   * with inversify, find hostkit's services.
   */
  readonly #byIdentifier: Map<ServiceIdentifier, Service[]> = new Map();
  /**
   * Pairs (service name, instance) of the disposables the root owns: singletons, and transients
   * created with no scope, in creation order.
   */
  #tracked: unknown[] = [];
  #disposed = false;
  /**
   * Who owns what is being created: a scope, or `null` for the root. A singleton's creation
   * sets it to `null`, so a scoped service reached from a singleton is detected as captive.
   */
  #scope: Scope | null = null;
  /** The services whose factories are running, outermost first. */
  readonly #path: Service[] = [];
  /**
   * Where the current chain of resolution starts in {@link #path}: a resolution asked of another
   * owner (a factory creating its own scope) starts a chain of its own.
   */
  #base = 0;

  constructor(container: Container, registrations: readonly Registration[]) {
    this.container = container;
    this.#byToken = new Map();
    const all: Service[] = [];
    const builtIns: Registration[] = [
      {
        token: ServiceScopeFactory,
        name: ServiceScopeFactory.name,
        lifetime: 'singleton',
        source: 'instance',
        factory: undefined,
        dependencies: undefined,
        value: this,
      },
      {
        token: ServiceResolver,
        name: ServiceResolver.name,
        lifetime: 'transient',
        source: 'resolver',
        factory: undefined,
        dependencies: undefined,
        value: undefined,
      },
    ];
    // The user's own inversify bindings come first, as if registered before everything else.
    const adopted = readAdoptableBindings(container).map((binding) => this.#adopt(binding));
    for (const registration of [...builtIns, ...adopted, ...registrations]) {
      const service = new Service(registration, Symbol(registration.name));
      if (registration.adopted !== undefined) service.deactivation = deactivationOf(registration.adopted);
      all.push(service);
      const list = this.#byToken.get(registration.token);
      if (list === undefined) this.#byToken.set(registration.token, [service]);
      else list.push(service);
      const identifier = registration.adopted?.identifier ?? identifierOf(registration.token);
      const same = this.#byIdentifier.get(identifier);
      if (same === undefined) this.#byIdentifier.set(identifier, [service]);
      else same.push(service);
    }
    const problems: Error[] = [];
    for (const service of all) {
      const inversify = service.registration.adopted;
      service.dependencies = inversify === undefined
        ? service.registration.dependencies?.map((token) => this.#link(token))
        : this.#linkAdopted(service, inversify, problems);
    }
    validateServices(all, problems);
    for (const service of all) {
      const inversify = service.registration.adopted;
      if (inversify !== undefined) rebindForConstruction(container, inversify, this.#constructKeys.get(inversify) as symbol);
      this.#bind(service);
    }
  }

  /** The private keys that adopted bindings are constructed from, set by {@link #adopt}. */
  readonly #constructKeys: Map<AdoptedBinding, symbol> = new Map();

  /**
   * The registration of a binding taken over from the inversify container: a resolver factory
   * that asks inversify to construct one instance (the dependencies inversify resolves on the way
   * come back to this provider through their redirections, in the current scope).
   */
  #adopt(adopted: AdoptedBinding): Registration {
    const constructKey = createConstructKey(adopted);
    this.#constructKeys.set(adopted, constructKey);
    const container = this.container;
    return {
      token: typeof adopted.identifier === 'function' ? adopted.identifier : new Token(adopted.name),
      name: adopted.name,
      lifetime: adopted.lifetime,
      source: 'inversify',
      factory: () => container.get(constructKey),
      dependencies: undefined,
      value: undefined,
      adopted,
    };
  }

  /** Links what an adopted binding's metadata injects; a missing non-optional one is a problem. */
  #linkAdopted(service: Service, adopted: AdoptedBinding, problems: Error[]): Service[] {
    const linked: Service[] = [];
    for (const dependency of adopted.dependencies) {
      const services = this.#byIdentifier.get(dependency.identifier);
      if (services !== undefined) {
        if (dependency.multiple) linked.push(...services);
        else linked.push(services[services.length - 1] as Service);
      } else if (this.container.isBound(dependency.identifier)) {
        linked.push(this.#external(undefined, dependency.identifier, identifierName(dependency.identifier)));
      } else if (!dependency.optional) {
        problems.push(new ServiceNotFoundError(identifierName(dependency.identifier), service.name));
      }
    }
    return linked;
  }

  get<T>(token: ServiceToken<T>): T {
    return this.resolve(null, token, true) as T;
  }

  tryGet<T>(token: ServiceToken<T>): T | undefined {
    return this.resolve(null, token, false) as T | undefined;
  }

  getAll<T>(token: ServiceToken<T>): T[] {
    return this.resolveAll(null, token) as T[];
  }

  createScope(): ServiceScope {
    if (this.#disposed) throw new ObjectDisposedError('service provider');
    return new Scope(this);
  }

  [Symbol.asyncDispose](): Promise<void> {
    if (this.#disposed) return Promise.resolve();
    this.#disposed = true;
    return this.#dispose();
  }

  async #dispose(): Promise<void> {
    const tracked = this.#tracked;
    this.#tracked = [];
    const failures = await disposeEach(tracked);
    try {
      await this.container.unbindAllAsync();
    } catch (error) {
      failures.push('inversify container', error);
    }
    throwDisposalErrors(failures, 'service provider');
  }

  /**
   * Resolves the last registration of `token` for `owner` (a scope, or `null` for the root).
   * @param required Throw when nothing is registered, rather than return `undefined`.
   */
  resolve(owner: Scope | null, token: ServiceToken<unknown>, required: boolean): unknown {
    this.#checkUsable(owner, token);
    const services = this.#byToken.get(token);
    if (services === undefined) return this.#resolveUnregistered(owner, token, required);
    const service = services[services.length - 1] as Service;
    // The hot path of a unit of work: a scoped service the scope already holds.
    if (owner !== null && service.lifetime === 'scoped' && owner.instances !== undefined) {
      const instance = owner.instances.get(service);
      if (instance !== undefined) return instance;
    }
    return this.#resolveFor(owner, service);
  }

  /** Resolves every registration of `token`, in registration order, for `owner`. */
  resolveAll(owner: Scope | null, token: ServiceToken<unknown>): unknown[] {
    this.#checkUsable(owner, token);
    const services = this.#byToken.get(token);
    if (services !== undefined) return services.map((service) => this.#resolveFor(owner, service));
    checkToken(token, 'token');
    const identifier = identifierOf(token);
    const adopted = this.#byIdentifier.get(identifier);
    if (adopted !== undefined) return adopted.map((service) => this.#resolveFor(owner, service));
    if (!this.container.isBound(identifier)) return [];
    return this.#inContext(owner, () => this.container.getAll(identifier)) as unknown[];
  }

  #checkUsable(owner: Scope | null, token: unknown): void {
    if (this.#disposed) throw new ObjectDisposedError('service provider', nameForError(token));
    if (owner?.disposed === true) throw new ObjectDisposedError('service scope', nameForError(token));
  }

  #resolveUnregistered(owner: Scope | null, token: ServiceToken<unknown>, required: boolean): unknown {
    checkToken(token, 'token');
    const identifier = identifierOf(token);
    // A token whose symbol the user bound with inversify, and hostkit took over.
    const adopted = this.#byIdentifier.get(identifier);
    if (adopted !== undefined) return this.#resolveFor(owner, adopted[adopted.length - 1] as Service);
    if (!this.container.isBound(identifier)) {
      if (!required) return undefined;
      throw new ServiceNotFoundError(nameForError(token), undefined, { hint: tokenHint(token, this.#byToken.keys()) });
    }
    return this.#inContext(owner, () => this.container.get(identifier));
  }

  #resolveFor(owner: Scope | null, service: Service): unknown {
    const scope = this.#scope;
    const base = this.#base;
    if (scope !== owner) {
      this.#scope = owner;
      this.#base = this.#path.length;
    }
    try {
      return this.#resolveService(service);
    } finally {
      this.#scope = scope;
      this.#base = base;
    }
  }

  #inContext(owner: Scope | null, resolve: () => unknown): unknown {
    const scope = this.#scope;
    const base = this.#base;
    if (scope !== owner) {
      this.#scope = owner;
      this.#base = this.#path.length;
    }
    try {
      return resolve();
    } finally {
      this.#scope = scope;
      this.#base = base;
    }
  }

  /**
   * Resolves `service` in the current context. Every registration is bound in the inversify
   * container (so raw inversify code and decorated classes reach hostkit's services and get the
   * same instances), but hostkit's own factory registrations are resolved here directly: going
   * through inversify's planner for each of them cost more than everything else a host does at
   * start (profiled with 10,000 hosted services). Bindings made on the raw container, and
   * instances, still resolve through inversify.
   */
  #resolveService(service: Service): unknown {
    if (service.lifetime === 'scoped') {
      const instances = this.#scope?.instances;
      if (instances !== undefined) {
        const instance = instances.get(service);
        if (instance !== undefined) return instance;
      }
    }
    if (service.source === 'factory' || service.source === 'inversify') {
      if (service.lifetime === 'singleton') return service.created ? service.instance : this.#createSingleton(service);
      if (service.lifetime === 'scoped') return this.#resolveScoped(service);
      return this.#createTransient(service);
    }
    return this.container.get(service.key);
  }

  /** Binds `service` in the container: its own binding, and a redirection from its token. */
  #bind(service: Service): void {
    const { registration } = service;
    const key = service.key;
    switch (registration.source) {
      case 'instance':
        this.container.bind(key).toConstantValue(registration.value);
        break;
      case 'resolver':
        this.container.bind(key).toDynamicValue(() => this.#scope ?? this).inTransientScope();
        break;
      default:
        if (service.lifetime === 'singleton') {
          this.container.bind(key).toDynamicValue(() => (service.created ? service.instance : this.#createSingleton(service))).inSingletonScope();
        } else if (service.lifetime === 'scoped') {
          this.container.bind(key).toDynamicValue(() => this.#resolveScoped(service)).inTransientScope();
        } else {
          this.container.bind(key).toDynamicValue(() => this.#createTransient(service)).inTransientScope();
        }
    }
    this.container.bind(registration.adopted?.identifier ?? identifierOf(registration.token)).toService(key);
  }

  /** Runs once per provider: inversify caches the result (and forgets a failed attempt). */
  #createSingleton(service: Service): unknown {
    const scope = this.#scope;
    this.#enter(service);
    // A singleton outlives every scope: what it creates belongs to the root, and a scoped
    // service reached from here is captive (see #resolveScoped).
    this.#scope = null;
    let instance: unknown;
    try {
      instance = this.#construct(service);
    } finally {
      this.#scope = scope;
      this.#exit(service);
    }
    service.instance = instance;
    service.created = true;
    const owned = service.deactivation === undefined ? instance : service.deactivation(instance);
    if (isDisposable(owned)) this.#tracked.push(service.name, owned);
    return instance;
  }

  #resolveScoped(service: Service): unknown {
    const scope = this.#scope;
    if (scope === null) throw this.#captiveError(service);
    const instances = scope.instances;
    if (instances !== undefined) {
      const cached = instances.get(service);
      // A factory may legitimately return undefined: that is an instance too.
      if (cached !== undefined || instances.has(service)) return cached;
    }
    this.#enter(service);
    let instance: unknown;
    try {
      instance = this.#construct(service);
    } finally {
      this.#exit(service);
    }
    (scope.instances ??= new Map()).set(service, instance);
    const owned = service.deactivation === undefined ? instance : service.deactivation(instance);
    if (isDisposable(owned)) (scope.tracked ??= []).push(service.name, owned);
    return instance;
  }

  #createTransient(service: Service): unknown {
    this.#enter(service);
    let instance: unknown;
    try {
      instance = this.#construct(service);
    } finally {
      this.#exit(service);
    }
    const owned = service.deactivation === undefined ? instance : service.deactivation(instance);
    if (isDisposable(owned)) {
      const scope = this.#scope;
      if (scope === null) this.#tracked.push(service.name, owned);
      else (scope.tracked ??= []).push(service.name, owned);
    }
    return instance;
  }

  #construct(service: Service): unknown {
    const factory = service.registration.factory as AnyFactory as (...args: unknown[]) => unknown;
    const dependencies = service.dependencies;
    // A resolver factory gets the resolver that is resolving, so its `get` continues this chain.
    // An adopted binding's dependencies are for the checks: inversify resolves them itself.
    if (dependencies === undefined || service.source === 'inversify') return factory(this.#scope ?? this);
    switch (dependencies.length) {
      case 0:
        return factory();
      case 1:
        return factory(this.#resolveService(dependencies[0] as Service));
      case 2:
        return factory(
          this.#resolveService(dependencies[0] as Service),
          this.#resolveService(dependencies[1] as Service),
        );
      default:
        return factory(...dependencies.map((dependency) => this.#resolveService(dependency as Service)));
    }
  }

  #enter(service: Service): void {
    if (service.resolving) {
      const path = this.#path;
      const names = path.slice(path.indexOf(service)).map((entry) => entry.name);
      names.push(service.name);
      throw new CircularDependencyError(names);
    }
    service.resolving = true;
    this.#path.push(service);
  }

  #exit(service: Service): void {
    service.resolving = false;
    this.#path.pop();
  }

  /** Names both services: the innermost singleton of this chain (or the root) and the scoped one. */
  #captiveError(scoped: Service): CaptiveDependencyError {
    const path = this.#path;
    for (let i = path.length - 1; i >= this.#base; i--) {
      const entry = path[i] as Service;
      if (entry.lifetime === 'singleton') {
        const names = path.slice(i).map((e) => e.name);
        names.push(scoped.name);
        return new CaptiveDependencyError(entry.name, names);
      }
    }
    const names = path.slice(this.#base).map((e) => e.name);
    names.push(scoped.name);
    return new CaptiveDependencyError(undefined, names);
  }

  /** Finds what a dependency list entry resolves to: the token's last registration. */
  #link(token: ServiceToken<unknown>): Service | undefined {
    const services = this.#byToken.get(token) ?? this.#byIdentifier.get(identifierOf(token));
    if (services !== undefined) return services[services.length - 1];
    const identifier: ServiceIdentifier = identifierOf(token);
    if (!this.container.isBound(identifier)) return undefined;
    return this.#external(token, identifier, tokenName(token));
  }

  /** A dependency left to inversify: checked for presence only, never entered. */
  #external(token: ServiceToken<unknown> | undefined, identifier: ServiceIdentifier, name: string): Service {
    return new Service(
      {
        token: token ?? new Token(name),
        name,
        lifetime: 'transient',
        source: 'external',
        factory: undefined,
        dependencies: undefined,
        value: undefined,
      },
      identifier,
    );
  }
}

/**
 * Internal: the one ServiceScope implementation. Deliberately small: a scope is two lazily
 * created collections and a flag, so a unit of work costs next to nothing.
 */
export class Scope implements ServiceScope {
  readonly root: RootProvider;
  /** Scoped instances by registration; created on the first one. */
  instances: Map<Service, unknown> | undefined = undefined;
  /** Pairs (service name, instance) of the disposables this scope created, in creation order. */
  tracked: unknown[] | undefined = undefined;
  disposed = false;

  constructor(root: RootProvider) {
    this.root = root;
  }

  get<T>(token: ServiceToken<T>): T {
    return this.root.resolve(this, token, true) as T;
  }

  tryGet<T>(token: ServiceToken<T>): T | undefined {
    return this.root.resolve(this, token, false) as T | undefined;
  }

  getAll<T>(token: ServiceToken<T>): T[] {
    return this.root.resolveAll(this, token) as T[];
  }

  [Symbol.asyncDispose](): Promise<void> {
    if (this.disposed) return Promise.resolve();
    this.disposed = true;
    const tracked = this.tracked;
    this.tracked = undefined;
    this.instances = undefined;
    if (tracked === undefined) return Promise.resolve();
    return disposeInReverse(tracked, 'service scope');
  }
}

/** The token's name, or the bad value described, for a message that must not throw itself. */
function nameForError(token: unknown): string {
  return isServiceToken(token) ? tokenName(token) : describeValue(token);
}
