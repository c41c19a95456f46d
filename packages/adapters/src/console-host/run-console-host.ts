import {
  ConsoleLogSink,
  EmbeddedHostLifetime,
  Host,
  LoggerFactoryToken,
  systemTimeProvider,
  type ConsoleLogFormat,
  type HostApplicationBuilder,
  type HostApplicationBuilderOptions,
  type HostLifetime,
  type Logger,
} from '@hostkit/core';
import { describeValue } from '@hostkit/core/adapter-kit';
import type { ConsoleRuntime } from './console-runtime.ts';

/** Options of `runMain`. */
export interface RunMainOptions {
  /**
   * Asks the application to stop when aborted, as a signal does.
   * @default undefined
   */
  signal?: AbortSignal | undefined;
  /**
   * The format of the console log, applied to a builder whose logging still has only its default
   * console sink (a builder with sinks of its own is left as it is): `'auto'` writes text when
   * standard output is a terminal and JSON lines otherwise (a pipe, a file, a container's log
   * collector).
   * @default 'auto'
   */
  logFormat?: ConsoleLogFormat | 'auto' | undefined;
}

/** Options of `createNodeHostBuilder` and `createDenoHostBuilder`. */
export interface ConsoleHostBuilderOptions extends HostApplicationBuilderOptions {
  /**
   * The format of the console log; see {@link RunMainOptions.logFormat}.
   * @default 'auto'
   */
  logFormat?: ConsoleLogFormat | 'auto' | undefined;
}

/** A runtime, and how to make its console lifetime. Internal to the package. */
export interface ConsolePlatform {
  readonly runtime: ConsoleRuntime;
  createLifetime(): HostLifetime;
}

/**
 * Fills in what a builder left at the defaults meant for runtime-free use: the embedded lifetime
 * becomes the runtime's console lifetime, core's system clock becomes the runtime's (whose timers
 * do not hold the process open), and the default JSON console sink gets the chosen format. What
 * the application set itself is kept.
 */
function configureConsoleHostBuilder(platform: ConsolePlatform, builder: HostApplicationBuilder, format: ConsoleLogFormat): void {
  if (builder.lifetime instanceof EmbeddedHostLifetime) builder.lifetime = platform.createLifetime();
  if (builder.timeProvider === systemTimeProvider) builder.timeProvider = platform.runtime.timeProvider;
  applyLogFormat(builder, format);
}

/**
 * Gives the builder's console sink `format`, if the sinks are still the default. The builder
 * starts with one JSON console sink and cannot say whether the application chose that sink itself,
 * so one JSON console sink and nothing else counts as the default.
 */
function applyLogFormat(builder: HostApplicationBuilder, format: ConsoleLogFormat): void {
  const sinks = builder.logging.sinks;
  const [only] = sinks;
  if (format !== 'json' && sinks.length === 1 && only instanceof ConsoleLogSink && only.format === 'json') {
    builder.logging.clearSinks().addSink(new ConsoleLogSink({ format }));
  }
}

/** `Host.createApplicationBuilder()` with the runtime's console lifetime, clock and log format. */
export function createConsoleHostBuilder(platform: ConsolePlatform, options: ConsoleHostBuilderOptions = {}): HostApplicationBuilder {
  const { logFormat, ...builderOptions } = options;
  const format = resolveLogFormat(platform.runtime, logFormat);
  const builder = Host.createApplicationBuilder({
    ...builderOptions,
    lifetime: builderOptions.lifetime ?? platform.createLifetime(),
    timeProvider: builderOptions.timeProvider ?? platform.runtime.timeProvider,
  });
  applyLogFormat(builder, format);
  return builder;
}

/**
 * The body of `runMain`: configure and build (for a builder), run, report. Resolves with the exit
 * code, which is also set on the process; never rejects for a failure of the application.
 */
export async function runConsoleHost(
  platform: ConsolePlatform,
  hostOrBuilder: Host | HostApplicationBuilder,
  options: RunMainOptions = {},
): Promise<number> {
  const { runtime } = platform;
  const format = resolveLogFormat(runtime, options.logFormat);
  let host: Host;
  if (isBuilder(hostOrBuilder)) {
    configureConsoleHostBuilder(platform, hostOrBuilder, format);
    try {
      host = hostOrBuilder.build();
    } catch (error) {
      return failBeforeRun(runtime, format, 'The host could not be built', error);
    }
  } else if (isHost(hostOrBuilder)) {
    host = hostOrBuilder;
  } else {
    throw new TypeError(`Expected a Host or a HostApplicationBuilder, got ${describeValue(hostOrBuilder)}`);
  }
  let logger: Logger;
  try {
    logger = host.services.get(LoggerFactoryToken).createLogger('hostkit.Host');
  } catch (error) {
    // A host that was disposed: its container can no longer resolve anything.
    return failBeforeRun(runtime, format, 'The host cannot run', error);
  }
  try {
    await host.run(options.signal);
  } catch (error) {
    // The host has logged where it failed; this is the one line that says the run is over and
    // why, with the error run() rejected with (some, such as a failed disposal, are logged nowhere else).
    logger.critical(`The host run failed; the process will exit with code 1`, { error, exitCode: 1 });
    runtime.setExitCode(1);
    return 1;
  }
  // Set here too, for a host built with a lifetime of its own that sets no exit code.
  runtime.setExitCode(0);
  return 0;
}

function failBeforeRun(runtime: ConsoleRuntime, format: ConsoleLogFormat, message: string, error: unknown): number {
  // No host logger to write through: one record in the chosen format, on standard error.
  const sink = new ConsoleLogSink({ format, standardErrorThreshold: 'critical' });
  sink.write({ timestamp: Date.now(), level: 'critical', category: 'hostkit.Host', message: `${message}; the process will exit with code 1`, error });
  runtime.setExitCode(1);
  return 1;
}

/**
 * `'auto'` (or nothing) becomes text on a terminal, JSON otherwise.
 * @throws RangeError for anything but `'auto'`, `'text'`, `'json'` or `undefined`.
 */
function resolveLogFormat(runtime: ConsoleRuntime, logFormat: unknown): ConsoleLogFormat {
  const format = logFormat ?? 'auto';
  if (format !== 'auto' && format !== 'text' && format !== 'json') {
    throw new RangeError(`Expected logFormat to be 'auto', 'text' or 'json', got ${describeValue(format)}`);
  }
  if (format !== 'auto') return format;
  return runtime.isStdoutTerminal() ? 'text' : 'json';
}

function isBuilder(value: unknown): value is HostApplicationBuilder {
  return typeof (value as Partial<HostApplicationBuilder> | null)?.build === 'function';
}

function isHost(value: unknown): value is Host {
  return typeof (value as Partial<Host> | null)?.run === 'function';
}

