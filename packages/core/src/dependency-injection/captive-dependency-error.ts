/**
 * Thrown when a scoped service would outlive its scope:
 *
 * - a singleton depends on a scoped service, directly or through transients (a captive
 *   dependency): the singleton would keep the first scope's instance, already disposed, forever;
 * - a scoped service is resolved from the root provider, directly or through transients: no scope
 *   would ever dispose it.
 *
 * Raised by `ServiceCollection.build()` when dependency lists make it knowable, otherwise at the
 * first resolution, in every environment (.NET checks only in Development).
 */
export class CaptiveDependencyError extends Error {
  /** Always `'CaptiveDependencyError'`: what logs and `error.name` checks see. */
  override readonly name: string = 'CaptiveDependencyError';
  /** The singleton that depends on the scoped service; `undefined` when the root provider asked. */
  readonly singletonName: string | undefined;
  /** The scoped service. */
  readonly scopedName: string;
  /** From the singleton (or the service asked of the root) to the scoped service. */
  readonly path: readonly string[];

  /**
   * Creates the error, with a message that names the services and the ways out.
   * @param singletonName The consuming singleton, or `undefined` for the root provider.
   * @param path The chain of services, ending with the scoped one.
   */
  constructor(singletonName: string | undefined, path: readonly string[], options?: ErrorOptions) {
    const scopedName = path.at(-1) ?? '<unknown>';
    const via = path.length > 2 || (singletonName === undefined && path.length > 1)
      ? ` (${path.join(' -> ')})`
      : '';
    super(
      singletonName === undefined
        ? `Scoped service '${scopedName}' cannot be resolved from the root provider${via}: ` +
          'nothing would dispose it. Resolve it from a scope (provider.createScope()).'
        : `Singleton '${singletonName}' depends on scoped service '${scopedName}'${via}: the ` +
          'singleton would keep one scope\'s instance after that scope ends. Make ' +
          `'${singletonName}' scoped, make '${scopedName}' a singleton or transient, or inject ` +
          'ServiceScopeFactory and create a scope per unit of work.',
      options,
    );
    this.singletonName = singletonName;
    this.scopedName = scopedName;
    this.path = Object.freeze([...path]);
  }
}
