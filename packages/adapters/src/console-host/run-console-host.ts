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
  type LoggerFactory,
} from '@hostkit/core';
import { describeValue } from '@hostkit/core/adapter-kit';
import type { ConsoleRuntime } from './console-runtime.ts';
import { processExitOf } from './process-exit.ts';
import { signalFanOutOf } from './signal-fan-out.ts';

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
  /**
   * Whether `runMain` ends the process, with the exit code it resolves with, once the host's run
   * is over (stopped, or its stuck services abandoned at `shutdownTimeout`). A service the host
   * abandoned may still hold a timer or a socket, and would otherwise keep the process alive
   * after the log said it would exit.
   *
   * The exit comes after `runMain` has resolved and the code awaiting it has run up to its first
   * wait on I/O or a timer, and only if something still holds the process: a process that ends by
   * itself ends with the same code. With several `runMain` in one process, the process ends once
   * the last of them is over, with the highest of their codes.
   *
   * Pass `false` when the host does not own the process (a host embedded in a larger program, a
   * test): `runMain` then only sets the process exit code and resolves with it.
   * @default true
   */
  exitProcess?: boolean | undefined;
}

/** Options of `createNodeHostBuilder` and `createDenoHostBuilder`. */
export interface ConsoleHostBuilderOptions extends HostApplicationBuilderOptions {
  /**
   * The format of the console log; see {@link RunMainOptions.logFormat}.
   * @default 'auto'
   */
  logFormat?: ConsoleLogFormat | 'auto' | undefined;
}

/**
 * Runs a host as the program's `main`, and resolves with its exit code once it has stopped:
 *
 * ```ts
 * const builder = createNodeHostBuilder(); // createDenoHostBuilder() on Deno
 * builder.services.addHostedService(Worker, () => new Worker());
 * await runMain(builder);
 * ```
 *
 * Given a builder, it first fills in what was left at core's runtime-free defaults: the runtime's
 * console lifetime (signals, keep-alive, exit code), the runtime's clock (timers that do not hold
 * the process open) and the console log format (text on a terminal, JSON lines otherwise); then
 * it builds the host.
 *
 * Given a host, it runs it as it is. A host built from a plain `Host.createApplicationBuilder()`
 * (core's `EmbeddedHostLifetime`, which holds nothing open) gets the console lifetime attached
 * around its run, so signals stop it and the process stays up while it runs; its clock stays
 * core's system clock. A host built with another lifetime runs with that one.
 *
 * Sets the process exit code (0 after a clean stop, 1 when the build, start, a background service
 * with `stopHost`, or the stop failed), then, unless `options.exitProcess` is `false`, ends the
 * process with that code once the run is over, even if an abandoned service still holds it (see
 * {@link RunMainOptions.exitProcess}). A failure is printed before it resolves: a build failure as
 * one critical record on standard error, a run failure as one last critical record in the host's
 * log that names the error in one line (the host logged it with its stack where it happened).
 * @throws TypeError (as a rejection) when given neither a host nor a builder, or when
 * `options.exitProcess` is not a boolean.
 * @throws RangeError (as a rejection) when `options.logFormat` is not `'auto'`, `'text'` or `'json'`.
 */
export type RunMain = (hostOrBuilder: Host | HostApplicationBuilder, options?: RunMainOptions) => Promise<number>;

/**
 * `Host.createApplicationBuilder()` for the runtime: its console lifetime, its clock and the
 * console log format chosen for standard output, unless `options` says otherwise.
 * @throws RangeError when `options.logFormat` is not `'auto'`, `'text'` or `'json'`.
 */
export type CreateConsoleHostBuilder = (options?: ConsoleHostBuilderOptions) => HostApplicationBuilder;

/** A runtime, and how to make its console lifetime. Internal to the package. */
export interface ConsolePlatform {
  readonly runtime: ConsoleRuntime;
  createLifetime(): HostLifetime;
}

/** The `runMain` of `platform`: the one implementation behind `@hostkit/adapters/node` and `/deno`. */
export function createRunMain(platform: ConsolePlatform): RunMain {
  return (hostOrBuilder, options) => runConsoleHost(platform, hostOrBuilder, options);
}

/** The host builder factory of `platform` (`createNodeHostBuilder`, `createDenoHostBuilder`). */
export function createConsoleHostBuilderFactory(platform: ConsolePlatform): CreateConsoleHostBuilder {
  return (options) => createConsoleHostBuilder(platform, options);
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
function createConsoleHostBuilder(platform: ConsolePlatform, options: ConsoleHostBuilderOptions = {}): HostApplicationBuilder {
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
 * The body of `runMain`: run the host, then have the process end with the code (unless the
 * caller opted out). Resolves with the exit code, which is also set on the process; never rejects
 * for a failure of the application.
 */
async function runConsoleHost(platform: ConsolePlatform, hostOrBuilder: Host | HostApplicationBuilder, options: RunMainOptions = {}): Promise<number> {
  const { runtime } = platform;
  const format = resolveLogFormat(runtime, options.logFormat);
  const exitProcess = options.exitProcess ?? true;
  if (typeof exitProcess !== 'boolean') {
    throw new TypeError(`Expected exitProcess to be a boolean, got ${describeValue(exitProcess)}`);
  }
  const processExit = processExitOf(runtime);
  // Counted from here: a second runMain of the process must not end it while this one runs.
  const run = processExit.beginRun();
  // From here until the process exits, the stop signals keep a listener: the host's lifetime
  // removes its own when the host has stopped, and a signal arriving between then and the exit
  // (npm forwarding a Ctrl+C the host already heard) would otherwise kill the process with the
  // signal's default action, replacing the exit code the run announced.
  const holdSignals = exitProcess ? signalFanOutOf(runtime).subscribe(ignoreSignal) : undefined;
  let code: number | undefined;
  try {
    code = await runAndReport(platform, hostOrBuilder, options.signal, format, exitProcess);
  } finally {
    // A rejection (neither a host nor a builder) leaves the process as it was.
    run.end(exitProcess ? code : undefined);
    if (code === undefined) holdSignals?.[Symbol.dispose]();
  }
  return code;
}

function ignoreSignal(): void {
  // The process is about to exit with the code its run announced; the host's lifetime, while it
  // runs, is the subscriber that acts on signals.
}

/** Builds (for a builder) and runs the host, and logs how it ended; resolves with the exit code. */
async function runAndReport(
  platform: ConsolePlatform,
  hostOrBuilder: Host | HostApplicationBuilder,
  signal: AbortSignal | undefined,
  format: ConsoleLogFormat,
  exitProcess: boolean,
): Promise<number> {
  const { runtime } = platform;
  let host: Host;
  if (isBuilder(hostOrBuilder)) {
    configureConsoleHostBuilder(platform, hostOrBuilder, format);
    try {
      host = hostOrBuilder.build();
    } catch (error) {
      return failBeforeRun(runtime, format, 'The host could not be built', error, exitProcess);
    }
  } else if (isHost(hostOrBuilder)) {
    host = hostOrBuilder;
  } else {
    throw new TypeError(`Expected a Host or a HostApplicationBuilder, got ${describeValue(hostOrBuilder)}`);
  }
  let loggerFactory: LoggerFactory;
  let logger: Logger;
  try {
    loggerFactory = host.services.get(LoggerFactoryToken);
    logger = loggerFactory.createLogger('hostkit.Host');
  } catch (error) {
    // A host that was disposed: its container can no longer resolve anything.
    return failBeforeRun(runtime, format, 'The host cannot run', error, exitProcess);
  }
  // A host built with the runtime-free lifetime holds nothing open (Node would end the program
  // with code 13 at once) and hears no signal: the console lifetime is attached around its run.
  const attached = host.lifetime instanceof EmbeddedHostLifetime ? platform.createLifetime() : undefined;
  try {
    if (attached !== undefined) {
      await attached.waitForStart(
        { applicationLifetime: host.applicationLifetime, logger: loggerFactory.createLogger('hostkit.Lifetime') },
        new AbortController().signal,
      );
    }
    try {
      await host.run(signal);
    } finally {
      await attached?.stop(new AbortController().signal);
    }
  } catch (error) {
    // The host has logged the error, with its stack, where it happened; this is the one line
    // that says the run is over, why, and what happens to the process.
    logger.critical(`The host run failed (${summarizeError(error)}); ${announceExit(1, exitProcess)}`, { exitCode: 1 });
    runtime.setExitCode(1);
    return 1;
  }
  logger.info(`The host stopped; ${announceExit(0, exitProcess)}`, { exitCode: 0 });
  // Set here too, for a host built with a lifetime of its own that sets no exit code.
  runtime.setExitCode(0);
  return 0;
}

function failBeforeRun(runtime: ConsoleRuntime, format: ConsoleLogFormat, message: string, error: unknown, exitProcess: boolean): number {
  // No host logger to write through, and nothing logged the error yet: one record in the chosen
  // format, with the error, on standard error.
  const sink = new ConsoleLogSink({ format, standardErrorThreshold: 'critical' });
  sink.write({ timestamp: Date.now(), level: 'critical', category: 'hostkit.Host', message: `${message}; ${announceExit(1, exitProcess)}`, error });
  runtime.setExitCode(1);
  return 1;
}

/** What the last record says happens next: true with either value of `exitProcess`. */
function announceExit(code: number, exitProcess: boolean): string {
  return exitProcess ? `the process will exit with code ${code}` : `exit code ${code} (exitProcess is false: ending the process is left to the caller)`;
}

/** `name: message`, one line: for an error the host already logged with its stack. */
function summarizeError(error: unknown): string {
  if (error instanceof AggregateError) return `${error.message}: ${error.errors.map(summarizeError).join('; ')}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return describeValue(error);
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
