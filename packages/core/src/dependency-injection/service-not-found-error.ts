import { Token, type ServiceToken } from './token.ts';

/**
 * Thrown when a service has no registration: by `get` at resolution, and by
 * `ServiceCollection.build()` when a dependency list names a token that nothing registers.
 */
export class ServiceNotFoundError extends Error {
  /** Always `'ServiceNotFoundError'`: what logs and `error.name` checks see. */
  override readonly name: string = 'ServiceNotFoundError';
  /** The service that has no registration. */
  readonly serviceName: string;
  /** The service whose dependency list names it, when the error comes from one. */
  readonly requiredBy: string | undefined;

  /**
   * Creates the error, naming the service and, when known, the one that depends on it.
   * @param serviceName The service that has no registration.
   * @param requiredBy The service whose dependency list names it, if any.
   */
  constructor(serviceName: string, requiredBy?: string, options?: ServiceNotFoundErrorOptions) {
    const hint = options?.hint === undefined ? '' : ` ${options.hint}`;
    super(
      requiredBy === undefined
        ? `No service is registered for '${serviceName}'.${hint}`
        : `'${requiredBy}' depends on '${serviceName}', which is not registered.${hint}`,
      options,
    );
    this.serviceName = serviceName;
    this.requiredBy = requiredBy;
  }
}

/** Options of {@link ServiceNotFoundError}. */
export interface ServiceNotFoundErrorOptions extends ErrorOptions {
  /** A sentence appended to the message that says what was probably meant. */
  hint?: string | undefined;
}

/**
 * Internal: when a class is asked for and a token of the same name is registered (the class
 * `TimeProvider` where the host registers `TimeProviderToken`, named 'TimeProvider'), the hint that
 * names the token; the class is not the token, and the message alone would read as a contradiction.
 */
export function tokenHint(missing: ServiceToken<unknown>, registered: Iterable<ServiceToken<unknown>>): string | undefined {
  if (typeof missing !== 'function') return undefined;
  for (const token of registered) {
    if (token instanceof Token && token.name === missing.name) {
      return `A token named '${token.name}' is registered: list the token (e.g. ${token.name}Token) instead of the class ${missing.name}.`;
    }
  }
  return undefined;
}
