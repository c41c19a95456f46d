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
  constructor(serviceName: string, requiredBy?: string, options?: ErrorOptions) {
    super(
      requiredBy === undefined
        ? `No service is registered for '${serviceName}'.`
        : `'${requiredBy}' depends on '${serviceName}', which is not registered.`,
      options,
    );
    this.serviceName = serviceName;
    this.requiredBy = requiredBy;
  }
}
