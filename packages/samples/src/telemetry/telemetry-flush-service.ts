import type { HostedService, Logger } from '@hostkit/core';
import type { InstalledTelemetry } from './install-telemetry.ts';

/**
 * Flushes the OpenTelemetry SDK when the host stops. Registered first, so it stops last, after
 * every other service has recorded its last spans; its stop signal is what is left of the host's
 * shutdown budget, and the flush gives up when it aborts.
 */
export class TelemetryFlushService implements HostedService {
  readonly #telemetry: InstalledTelemetry;
  readonly #logger: Logger;

  constructor(telemetry: InstalledTelemetry, logger: Logger) {
    this.#telemetry = telemetry;
    this.#logger = logger;
  }

  /** Called by the host at start: says where telemetry goes. */
  start(_signal: AbortSignal): Promise<void> {
    this.#logger.info(this.#telemetry.description);
    return Promise.resolve();
  }

  /** Called by the host at stop, last: exports what was recorded, within the shutdown budget. */
  stop(signal: AbortSignal): Promise<void> {
    return this.#telemetry.flush(signal);
  }
}
