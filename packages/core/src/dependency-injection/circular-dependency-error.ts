/**
 * Thrown when services depend on each other in a cycle: by `ServiceCollection.build()` when the
 * dependency lists show it, otherwise when the cycle is first entered at resolution. The path
 * starts and ends with the same service: `A -> B -> A`.
 */
export class CircularDependencyError extends Error {
  /** Always `'CircularDependencyError'`: what logs and `error.name` checks see. */
  override readonly name: string = 'CircularDependencyError';
  /** The services in the cycle, first and last the same. */
  readonly path: readonly string[];

  /**
   * Creates the error for the cycle `path` (its first and last names are the same service).
   * @param path The services in the cycle, first and last the same.
   */
  constructor(path: readonly string[], options?: ErrorOptions) {
    super(`Circular dependency: ${path.join(' -> ')}.`, options);
    this.path = Object.freeze([...path]);
  }
}
