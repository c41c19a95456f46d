import type { Container, ServiceIdentifier } from 'inversify';
import { CaptiveDependencyError } from './captive-dependency-error.ts';
import { CircularDependencyError } from './circular-dependency-error.ts';
import { disposeEach, disposeInReverse, isDisposable, throwDisposalErrors } from './dispose-in-reverse.ts';
import { ObjectDisposedError } from './object-disposed-error.ts';
import { identifierOf, Service, type AnyFactory, type Registration } from './service.ts';
import { ServiceNotFoundError, tokenHint } from './service-not-found-error.ts';
import { ServiceResolver } from './service-resolver.ts';
import { ServiceScopeFactory, type ServiceScope } from './service-scope.ts';
import { describeValue } from '../internal/describe-value.ts';
import { checkToken, isServiceToken, tokenName, type ServiceToken } from './token.ts';
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
   * decorators. Each hostkit registration is bound under its token (a {@link Token}'s `symbol`,
   * or the class) as a redirection to a binding of its own, so `@inject(Token.symbol)` and
   * `container.get(SomeClass)` reach it; a token registered several times is ambiguous to
   * inversify's `get` (use `getAll` / `@multiInject`).
   *
   * Limits: hostkit's lifetime checks and disposal cover hostkit registrations only. A class
   * bound directly here is resolved by inversify with inversify's scopes: a raw singleton that
   * injects a hostkit scoped service is NOT reported as captive, and raw instances are never
   * disposed by hostkit (only inversify's deactivation runs, at provider disposal).
   */
  readonly container: Container;
}

/** Internal: the one ServiceProvider implementation; holds the resolution state machine. */
export class RootProvider implements ServiceProvider {
  readonly container: Container;
  /** Each token's registrations, in registration order. */
  readonly #byToken: Map<ServiceToken<unknown>, Service[]>;
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
    for (const registration of [...builtIns, ...registrations]) {
      const service = new Service(registration, Symbol(registration.name));
      all.push(service);
      const list = this.#byToken.get(registration.token);
      if (list === undefined) this.#byToken.set(registration.token, [service]);
      else list.push(service);
    }
    for (const service of all) {
      service.dependencies = service.registration.dependencies?.map((token) => this.#link(token));
    }
    validateServices(all);
    for (const service of all) this.#bind(service);
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
    if (service.source === 'factory') {
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
    this.container.bind(identifierOf(registration.token)).toService(key);
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
    if (isDisposable(instance)) this.#tracked.push(service.name, instance);
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
    if (isDisposable(instance)) (scope.tracked ??= []).push(service.name, instance);
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
    if (isDisposable(instance)) {
      const scope = this.#scope;
      if (scope === null) this.#tracked.push(service.name, instance);
      else (scope.tracked ??= []).push(service.name, instance);
    }
    return instance;
  }

  #construct(service: Service): unknown {
    const factory = service.registration.factory as AnyFactory as (...args: unknown[]) => unknown;
    const dependencies = service.dependencies;
    // A resolver factory gets the resolver that is resolving, so its `get` continues this chain.
    if (dependencies === undefined) return factory(this.#scope ?? this);
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
    const services = this.#byToken.get(token);
    if (services !== undefined) return services[services.length - 1];
    const identifier: ServiceIdentifier = identifierOf(token);
    if (!this.container.isBound(identifier)) return undefined;
    return new Service(
      {
        token,
        name: tokenName(token),
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
