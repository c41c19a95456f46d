/**
 * Thrown when a service is requested from a {@link ServiceScope} or a {@link ServiceProvider}
 * that has been disposed, or whose disposal has begun, and by `createScope()` on a disposed
 * provider. Resolving then would hand out an instance that nothing will ever dispose, or one
 * that has already been disposed.
 */
export class ObjectDisposedError extends Error {
  /** Always `'ObjectDisposedError'`: what logs and `error.name` checks see. */
  override readonly name: string = 'ObjectDisposedError';
  /** What was disposed: `service scope` or `service provider`. */
  readonly objectName: string;
  /** The name of the service that was requested, if the error comes from a resolution. */
  readonly serviceName: string | undefined;

  /**
   * Creates the error, naming what was disposed and the service that was asked for.
   * @param objectName What was disposed: `service scope` or `service provider`.
   * @param serviceName The service that was requested, if any.
   */
  constructor(objectName: string, serviceName?: string, options?: ErrorOptions) {
    super(
      serviceName === undefined
        ? `Cannot use the ${objectName}: it has been disposed.`
        : `Cannot resolve '${serviceName}': the ${objectName} has been disposed.`,
      options,
    );
    this.objectName = objectName;
    this.serviceName = serviceName;
  }
}
