/**
 * The three moments of an application's life, and the one way to ask it to end; the port of .NET's
 * `IHostApplicationLifetime`. Resolve it from DI (`ApplicationLifetimeToken`) in any service.
 *
 * Each moment is offered two ways:
 * - as an `AbortSignal` that is aborted when the moment comes, to pass to anything that takes a
 *   signal (`stopping` is the natural signal for work that must end when the application stops);
 * - as a registration method (`onStarted`, ...) whose callback runs when the moment comes, or at
 *   once if it already came. An error thrown by such a callback (or a promise it returns that
 *   rejects) is logged and never reaches the host. Prefer these over `addEventListener` on the
 *   signals, where a throwing listener becomes an uncaught error of the runtime.
 *
 * Callbacks run in registration order (the AbortSignal's order; .NET runs them newest-first).
 */
export interface ApplicationLifetime {
  /** Aborted once every hosted service has started (after the `started` hooks). */
  readonly started: AbortSignal;
  /**
   * Aborted when the application starts to stop: as soon as {@link stopApplication} is called,
   * or, when `host.stop()` is called directly, after the `stopping` hooks. Its reason is an
   * `AbortError` `DOMException`, so work cancelled by it is recognised as cancellation.
   */
  readonly stopping: AbortSignal;
  /** Aborted once every hosted service has stopped (after the `stopped` hooks). */
  readonly stopped: AbortSignal;
  /** Runs `callback` when {@link started} fires, or at once if it has. Dispose the result to unregister. */
  onStarted(callback: LifetimeCallback): Disposable;
  /** Runs `callback` when {@link stopping} fires, or at once if it has. Dispose the result to unregister. */
  onStopping(callback: LifetimeCallback): Disposable;
  /** Runs `callback` when {@link stopped} fires, or at once if it has. Dispose the result to unregister. */
  onStopped(callback: LifetimeCallback): Disposable;
  /**
   * Asks the application to stop: fires {@link stopping} at once, and `host.run()` (or
   * `host.waitForShutdown()`) then stops the host. Safe to call any number of times, from
   * anywhere, at any moment (a signal handler, a service, a callback): the first call wins, the
   * others do nothing.
   */
  stopApplication(): void;
}

/**
 * A callback given to an {@link ApplicationLifetime} registration method. Whatever it returns is
 * ignored, except that a returned promise's rejection is logged like a throw; it is not awaited.
 */
export type LifetimeCallback = () => unknown;
