/**
 * Internal: how `ServiceCollection.build()` takes over the classes and resolved values a user
 * bound with inversify's own API (`bind(X).toSelf().inSingletonScope()`, a `ContainerModule`,
 * `@injectable()` classes), so that they get hostkit's lifetimes, scope disposal and captive
 * checks instead of inversify's.
 *
 * inversify offers no public way to list a container's bindings: its plugin API
 * (`container.register`) hands a plugin the container's binding services, and that is what is
 * read here. inversify itself still constructs each instance (constructor and property injection,
 * `@postConstruct`, activation handlers), from a transient binding under a private key; hostkit
 * decides when to construct, caches per lifetime and disposes.
 * @module
 */
import {
  ClassElementMetadataKind,
  getClassMetadata,
  ResolvedValueElementMetadataKind,
  type Binding,
  type BindingActivation,
  type BindingDeactivation,
  type BindingScope,
  type ClassElementMetadata,
  type InstanceBinding,
  type ResolvedValueBinding,
  type ResolvedValueElementMetadata,
} from '@inversifyjs/core';
import { Plugin, type PluginContext } from '@inversifyjs/plugin';
import { Container, LazyServiceIdentifier, type ServiceIdentifier } from 'inversify';
import type { ServiceLifetime } from './service-lifetime.ts';

/** One dependency an inversify binding declares (a constructor argument, a property, an argument). */
export interface AdoptedDependency {
  readonly identifier: ServiceIdentifier;
  /** `@optional()`: a missing binding is not an error. */
  readonly optional: boolean;
  /** `@multiInject()`: every binding of the identifier. */
  readonly multiple: boolean;
}

/** A binding that hostkit takes over, as read before anything is changed in the container. */
export interface AdoptedBinding {
  readonly identifier: ServiceIdentifier;
  readonly name: string;
  readonly lifetime: ServiceLifetime;
  readonly binding: InstanceBinding<unknown> | ResolvedValueBinding<unknown>;
  readonly dependencies: readonly AdoptedDependency[];
  /** `@preDestroy()` methods, then the binding's and the container's `onDeactivation` handlers. */
  readonly preDestroy: readonly (string | symbol)[];
  readonly deactivations: readonly BindingDeactivation<unknown>[];
  /** Container-level `onActivation` handlers for the identifier, moved to the private binding. */
  readonly activations: readonly BindingActivation<unknown>[];
}

/**
 * The private keys hostkit constructs from: a container given to a second collection must not
 * have them taken over again as if the user had bound them.
 */
const constructKeys = new WeakSet<symbol>();

/** A fresh private key to construct `adopted` from, see {@link rebindForConstruction}. */
export function createConstructKey(adopted: AdoptedBinding): symbol {
  const key = Symbol(`${adopted.name} (constructed by inversify)`);
  constructKeys.add(key);
  return key;
}

/** inversify's scope names as hostkit lifetimes: a request scope is scoped to a hostkit scope. */
const lifetimes: Record<BindingScope, ServiceLifetime> = {
  Singleton: 'singleton',
  Request: 'scoped',
  Transient: 'transient',
};

/**
 * Reads the bindings of `container` itself (not its parent's) that hostkit can take over: an
 * identifier with exactly one binding, to a class (`to`, `toSelf`) or a resolved value
 * (`toResolvedValue`), without a `when*` constraint. Everything else (constants, dynamic values,
 * factories, several or conditional bindings of one identifier) stays inversify's, resolved by
 * inversify as a dependency.
 * @throws whatever inversify throws for a class whose decorator metadata is invalid.
 */
export function readAdoptableBindings(container: Container): AdoptedBinding[] {
  const context = pluginContextOf(container);
  const unconstrained = alwaysConstraint();
  const adopted: AdoptedBinding[] = [];
  for (const identifier of context.bindingService.getNonParentBoundServices()) {
    if (typeof identifier === 'symbol' && constructKeys.has(identifier)) continue;
    const bindings = [...(context.bindingService.getNonParentBindings(identifier) ?? [])] as Binding[];
    if (bindings.length !== 1) continue;
    const binding = bindings[0] as Binding;
    if (binding.type !== 'Instance' && binding.type !== 'ResolvedValue') continue;
    if (binding.isSatisfiedBy !== unconstrained) continue;
    let dependencies: AdoptedDependency[];
    let preDestroy: (string | symbol)[] = [];
    if (binding.type === 'Instance') {
      const metadata = getClassMetadata(binding.implementationType);
      dependencies = [...metadata.constructorArguments, ...metadata.properties.values()].flatMap(dependencyOf);
      preDestroy = [...metadata.lifecycle.preDestroyMethodNames];
    } else {
      dependencies = binding.metadata.arguments.flatMap(dependencyOf);
    }
    const deactivations: BindingDeactivation<unknown>[] = [];
    if (binding.onDeactivation !== undefined) deactivations.push(binding.onDeactivation);
    deactivations.push(...(context.deactivationService.get(identifier) ?? []));
    adopted.push({
      identifier,
      name: identifierName(identifier),
      lifetime: lifetimes[binding.scope],
      binding,
      dependencies,
      preDestroy,
      deactivations,
      activations: [...(context.activationService.get(identifier) ?? [])],
    });
  }
  return adopted;
}

/**
 * Replaces the user's binding of `adopted` with a transient one under `constructKey`, which
 * inversify constructs from and hostkit calls on each creation. The identifier itself is then
 * free for hostkit's redirection to its own lifetime handling.
 */
export function rebindForConstruction(container: Container, adopted: AdoptedBinding, constructKey: symbol): void {
  const { binding } = adopted;
  container.unbind(adopted.identifier);
  const to = container.bind(constructKey);
  const bound = binding.type === 'Instance'
    ? to.to(binding.implementationType).inTransientScope()
    : to
        .toResolvedValue(
          binding.factory as (...args: unknown[]) => unknown,
          binding.metadata.arguments.map(injectOptionOf) as never,
        )
        .inTransientScope();
  if (binding.onActivation !== undefined) bound.onActivation(binding.onActivation);
  for (const activation of adopted.activations) container.onActivation(constructKey, activation);
}

/**
 * What hostkit tracks for disposal in place of an adopted instance: runs inversify's
 * `@preDestroy` methods and deactivation handlers (in inversify's order), then the instance's
 * `Symbol.asyncDispose` / `Symbol.dispose`. `undefined` when there is nothing but the latter.
 */
export function deactivationOf(adopted: AdoptedBinding): ((instance: unknown) => unknown) | undefined {
  const { preDestroy, deactivations } = adopted;
  if (preDestroy.length === 0 && deactivations.length === 0) return undefined;
  return (instance) => ({
    async [Symbol.asyncDispose](): Promise<void> {
      const target = instance as Record<string | symbol, unknown> & Partial<AsyncDisposable & Disposable>;
      for (const method of preDestroy) {
        const destroy = target[method];
        if (typeof destroy === 'function') await (destroy as () => unknown).call(target);
      }
      for (const deactivation of deactivations) await deactivation(instance);
      const disposeAsync = target[Symbol.asyncDispose];
      if (typeof disposeAsync === 'function') await disposeAsync.call(target);
      else target[Symbol.dispose]?.();
    },
  });
}

/** How an inversify identifier shows in hostkit's error messages. */
export function identifierName(identifier: ServiceIdentifier): string {
  if (typeof identifier === 'function') return identifier.name === '' ? '<anonymous class>' : identifier.name;
  if (typeof identifier === 'symbol') return identifier.description ?? 'Symbol()';
  return String(identifier);
}

function dependencyOf(element: ClassElementMetadata | ResolvedValueElementMetadata): AdoptedDependency[] {
  if (!('value' in element)) return []; // @unmanaged(): the caller passes it, not the container
  const value = element.value;
  return [{
    identifier: LazyServiceIdentifier.is(value) ? value.unwrap() : value,
    optional: element.optional,
    multiple: element.kind === ClassElementMetadataKind.multipleInjection ||
      element.kind === (ResolvedValueElementMetadataKind.multipleInjection as number),
  }];
}

/** The `toResolvedValue` inject option that gives back `element`'s metadata. */
function injectOptionOf(element: ResolvedValueElementMetadata): Record<string, unknown> {
  const option: Record<string, unknown> = {
    serviceIdentifier: element.value,
    tags: [...element.tags].map(([key, value]) => ({ key, value })),
  };
  if (element.name !== undefined) option['name'] = element.name;
  if (element.optional) option['optional'] = true;
  if (element.kind === ResolvedValueElementMetadataKind.multipleInjection) {
    option['isMultiple'] = true;
    option['chained'] = element.chained;
  }
  return option;
}

/** The container's binding, activation and deactivation services, through inversify's plugin API. */
function pluginContextOf(container: Container): PluginContext {
  let context: PluginContext | undefined;
  class ReadBindings extends Plugin<Container> {
    constructor(owner: Container, pluginContext: PluginContext) {
      super(owner, pluginContext);
      context = pluginContext;
    }

    load(): void {}
  }
  container.register(ReadBindings);
  if (context === undefined) throw new Error('inversify did not hand its plugin context to hostkit');
  return context;
}

let always: Binding['isSatisfiedBy'] | undefined;

/** The constraint inversify gives a binding without `when*`: read once from a probe binding. */
function alwaysConstraint(): Binding['isSatisfiedBy'] {
  if (always === undefined) {
    const probe = new Container();
    probe.bind('probe').toConstantValue(0);
    const [binding] = pluginContextOf(probe).bindingService.getNonParentBindings('probe') ?? [];
    if (binding === undefined) throw new Error('inversify did not list the probe binding');
    always = binding.isSatisfiedBy;
  }
  return always;
}
