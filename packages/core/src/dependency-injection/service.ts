/**
 * Internal: one registration as the built provider sees it. Not exported from the package.
 * @module
 */
import type { ServiceIdentifier } from 'inversify';
import type { AdoptedBinding } from './inversify-bindings.ts';
import type { ServiceLifetime } from './service-lifetime.ts';
import { Token, type ServiceToken } from './token.ts';

/**
 * How a service is made:
 * - `factory`: the registration's factory, owned (disposed by hostkit);
 * - `instance`: a ready value, never disposed by hostkit;
 * - `resolver`: built in, resolves to the resolver that is resolving; never disposed;
 * - `inversify`: a class or resolved value the user bound with inversify's API, taken over at build:
 *   inversify constructs it, hostkit owns its lifetime and disposes it, like a factory's;
 * - `external`: left on the inversify container (constants, dynamic values, conditional or
 *   multiple bindings of one identifier), outside hostkit's lifetime checks and disposal; only ever
 *   a dependency.
 */
export type ServiceSource = 'factory' | 'instance' | 'resolver' | 'inversify' | 'external';

/** A factory as the registration stores it: called with the dependencies, or with the resolver. */
export type AnyFactory = (...args: never[]) => unknown;

/** What `ServiceCollection` records for each `add*` call. */
export interface Registration {
  readonly token: ServiceToken<unknown>;
  readonly name: string;
  readonly lifetime: ServiceLifetime;
  readonly source: ServiceSource;
  /** `undefined` for instances. */
  readonly factory: AnyFactory | undefined;
  /** `undefined` when the factory takes a resolver instead: its dependencies are unknowable. */
  readonly dependencies: readonly ServiceToken<unknown>[] | undefined;
  readonly value: unknown;
  /** For source `inversify`: the binding taken over. */
  readonly adopted?: AdoptedBinding;
}

/**
 * A registration inside a built provider. One object per registration, shared by every scope of
 * that provider, so its fields are the only per-registration state: keep it monomorphic.
 */
export class Service {
  readonly registration: Registration;
  readonly name: string;
  readonly lifetime: ServiceLifetime;
  readonly source: ServiceSource;
  /**
   * The inversify service identifier of THIS registration: a fresh symbol, so that each of a
   * token's registrations is its own binding (inversify's `get` throws on several bindings of one
   * identifier, hostkit's returns the last); for `external`, the user's own identifier.
   */
  readonly key: ServiceIdentifier;
  /**
   * The registration's dependencies, linked at build: `undefined` for a resolver factory, and
   * an entry is `undefined` while a dependency is missing (build then fails).
   */
  dependencies: (Service | undefined)[] | undefined = undefined;
  /**
   * For source `inversify` with `@preDestroy` methods or deactivation handlers: wraps an instance
   * into what the owner tracks for disposal.
   */
  deactivation: ((instance: unknown) => unknown) | undefined = undefined;
  /** Set while the factory runs: meeting it set again is a cycle. */
  resolving = false;
  /** A singleton's instance once created (see `created`). */
  instance: unknown = undefined;
  created = false;

  constructor(registration: Registration, key: ServiceIdentifier) {
    this.registration = registration;
    this.name = registration.name;
    this.lifetime = registration.lifetime;
    this.source = registration.source;
    this.key = key;
  }
}

/** The inversify service identifier that a hostkit token stands for in the raw container. */
export function identifierOf(token: ServiceToken<unknown>): ServiceIdentifier {
  return token instanceof Token ? token.symbol : (token as ServiceIdentifier);
}
