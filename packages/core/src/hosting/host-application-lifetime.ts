import { createAbortError } from '../cancellation/abort-errors.ts';
import type { LogEvent } from '../logging/log-event.ts';
import type { Logger } from '../logging/logger.ts';
import { nullLogger } from '../logging/null-logger.ts';
import type { ApplicationLifetime, LifetimeCallback } from './application-lifetime.ts';
import { HostLogEvents } from './host-log-events.ts';

/** Options of {@link HostApplicationLifetime}. */
export interface HostApplicationLifetimeOptions {
  /**
   * Where errors thrown by registered callbacks go (events 6, 7, 8 of `HostLogEvents`).
   * @default nullLogger
   */
  logger?: Logger | undefined;
}

/** One of the three moments, with what is needed to fire it and to log its callbacks' errors. */
class LifetimeEvent {
  readonly controller: AbortController = new AbortController();
  readonly name: string;
  readonly errorEvent: LogEvent;

  constructor(name: string, errorEvent: LogEvent) {
    this.name = name;
    this.errorEvent = errorEvent;
  }
}

/**
 * The {@link ApplicationLifetime} a host creates and registers in DI; the port of .NET's
 * `ApplicationLifetime`. The host fires {@link notifyStarted} and {@link notifyStopped}; anyone
 * may call {@link stopApplication}.
 *
 * Exported so that a test can drive a component that depends on an `ApplicationLifetime` without
 * building a host.
 */
export class HostApplicationLifetime implements ApplicationLifetime {
  readonly #logger: Logger;
  readonly #started = new LifetimeEvent('started', HostLogEvents.ApplicationStartupException);
  readonly #stopping = new LifetimeEvent('stopping', HostLogEvents.ApplicationStoppingException);
  readonly #stopped = new LifetimeEvent('stopped', HostLogEvents.ApplicationStoppedException);

  /** Creates a lifetime whose events have not fired yet. */
  constructor(options: HostApplicationLifetimeOptions = {}) {
    this.#logger = options.logger ?? nullLogger;
  }

  get started(): AbortSignal {
    return this.#started.controller.signal;
  }

  get stopping(): AbortSignal {
    return this.#stopping.controller.signal;
  }

  get stopped(): AbortSignal {
    return this.#stopped.controller.signal;
  }

  onStarted(callback: LifetimeCallback): Disposable {
    return this.#register(this.#started, callback);
  }

  onStopping(callback: LifetimeCallback): Disposable {
    return this.#register(this.#stopping, callback);
  }

  onStopped(callback: LifetimeCallback): Disposable {
    return this.#register(this.#stopped, callback);
  }

  stopApplication(): void {
    this.#fire(this.#stopping, 'The application is stopping');
  }

  /** Fires `started`. Called by the host once every service and `started` hook has run. */
  notifyStarted(): void {
    this.#fire(this.#started, 'The application has started');
  }

  /** Fires `stopped`. Called by the host once every service and `stopped` hook has run. */
  notifyStopped(): void {
    this.#fire(this.#stopped, 'The application has stopped');
  }

  #fire(event: LifetimeEvent, message: string): void {
    // The first call wins; AbortController ignores later ones, this only skips building the reason.
    if (event.controller.signal.aborted) return;
    event.controller.abort(createAbortError(message));
  }

  #register(event: LifetimeEvent, callback: LifetimeCallback): Disposable {
    if (typeof callback !== 'function') {
      throw new TypeError(
        `Expected the ${event.name} callback to be a function, got ${String(callback)} (${typeof callback})`,
      );
    }
    const signal = event.controller.signal;
    const run = (): void => {
      this.#invoke(event, callback);
    };
    if (signal.aborted) {
      run();
      return { [Symbol.dispose]: noop };
    }
    signal.addEventListener('abort', run, { once: true });
    return {
      [Symbol.dispose]: (): void => {
        signal.removeEventListener('abort', run);
      },
    };
  }

  #invoke(event: LifetimeEvent, callback: LifetimeCallback): void {
    const report = (error: unknown): void => {
      this.#logger.error(`An error occurred in an application ${event.name} callback`, {
        event: event.errorEvent,
        error,
      });
    };
    try {
      const result = callback();
      if (isThenable(result)) {
        // Not awaited: the lifetime fires synchronously and must not wait for its callbacks; a
        // rejection is logged like a throw, so it cannot go unhandled.
        void Promise.resolve(result).then(undefined, report);
      }
    } catch (error) {
      report(error);
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function noop(): void {
  // Nothing to remove: the callback already ran.
}
