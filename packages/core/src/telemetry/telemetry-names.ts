/**
 * Every span, metric and attribute name hostkit emits through OpenTelemetry, with its meaning: the
 * catalogue, like `HostLogEvents` is for log events.
 *
 * Names that the OpenTelemetry semantic conventions define (the messaging spans `send {queue}` and
 * `process {queue}`, the `messaging.*` attributes and metrics, `error.type`) are used as the
 * conventions say; everything else lives under `hostkit.*` and is listed here. Names never change
 * once released. Spans and metrics come from the instrumentation scope {@link telemetryScopeName}.
 *
 * Core records through `@opentelemetry/api` only: without an SDK installed by the application,
 * every call is a no-op.
 * @module
 */

/** The instrumentation scope (tracer and meter name) of everything core records. */
export const telemetryScopeName = '@hostkit/core';

/** The shape of {@link TelemetryNames}: one documented member per name. */
export interface TelemetryNameCatalogue {
  // ---- span names ------------------------------------------------------------------------------
  /** Span `send {queue}`, kind producer: one `enqueue` or `enqueueMany`; its context is stored in the entry's headers. (semconv) */
  readonly SendSpan: 'send';
  /**
   * Span `process {queue}`, kind consumer: one handler run in `consumeWorkQueue`. Its parent is the
   * sender's context from the entry's headers (one trace from producer to result), and it also
   * links to it, as the messaging conventions ask. (semconv)
   */
  readonly ProcessSpan: 'process';
  /** Span `ack {queue}` / `nack {queue}` / `release {queue}`, kind client, child of `process`: the settlement of a delivery. (semconv `settle`) */
  readonly SettleSpans: readonly ['ack', 'nack', 'release'];
  /**
   * Span `execute {service}`, kind internal: one run of a background service's `execute`, from its
   * call to its end (a fault ends it with status error and an `exception` event). A root span: the
   * work it does starts traces of its own.
   */
  readonly ExecuteSpan: 'execute';
  /** Span `run {service}`, kind internal: one occurrence (tick) of a scheduled service; a root span linked to its `execute` span. */
  readonly OccurrenceSpan: 'run';
  /**
   * Span `tick {timer}`, kind internal: one tick of a `PeriodicTimer` or `CronTimer` given a
   * `name`, from the wait that returned it to the next wait (the loop body's work); a root span.
   */
  readonly TickSpan: 'tick';
  /** Span event on `execute {service}`: the run faulted and the restart policy will call `execute` again (attributes: attempt, delay). */
  readonly RestartingEvent: 'hostkit.background_service.restarting';
  /** Span event on `execute {service}`: the service is the cluster leader now (attribute: fencing token). */
  readonly LeaderElectedEvent: 'hostkit.lease.acquired';
  /** Span event on `execute {service}`: the service lost its cluster lease (attribute: fencing token). */
  readonly LeaseLostEvent: 'hostkit.lease.lost';

  // ---- attributes ------------------------------------------------------------------------------
  /** The queue's store (`redis`, `hostkit.memory`). (semconv) */
  readonly MessagingSystem: 'messaging.system';
  /** The queue's name. (semconv) */
  readonly MessagingDestinationName: 'messaging.destination.name';
  /** The entry's id. (semconv) */
  readonly MessagingMessageId: 'messaging.message.id';
  /** The consumer group (a Redis stream group; the queue name on the memory queue). (semconv) */
  readonly MessagingConsumerGroupName: 'messaging.consumer.group.name';
  /** `send`, `process` or `settle`. (semconv) */
  readonly MessagingOperationType: 'messaging.operation.type';
  /** `send`, `process`, `ack`, `nack` or `release`. (semconv) */
  readonly MessagingOperationName: 'messaging.operation.name';
  /** Entries sent by one `enqueueMany`. (semconv) */
  readonly MessagingBatchMessageCount: 'messaging.batch.message_count';
  /** The failure's class (`Error`, `TypeError`...) on a failed process. (semconv) */
  readonly ErrorType: 'error.type';
  /** Which delivery of the entry this is: 1 on the first, 2 on the first redelivery... */
  readonly WorkQueueDeliveryCount: 'hostkit.work_queue.delivery_count';
  /** On `hostkit.work_queue.depth`: `waiting`, `in_flight` or `dead`. */
  readonly WorkQueueState: 'hostkit.work_queue.state';
  /** A background service's name (its registration name in the host). */
  readonly ServiceName: 'hostkit.service.name';
  /** On `hostkit.background_service.status`: `idle`, `campaigning`, `running`, `restarting`, `completed` or `faulted`. */
  readonly ServiceStatus: 'hostkit.service.status';
  /** On the restarting event: the restart's attempt number, from 1. */
  readonly RestartAttempt: 'hostkit.restart.attempt';
  /** On the restarting event: the backoff before the restart, in ms. */
  readonly RestartDelayMs: 'hostkit.restart.delay_ms';
  /** On `run {service}` and a cron timer's `tick {timer}`: the occurrence, an ISO 8601 instant. */
  readonly ScheduleOccurrence: 'hostkit.schedule.occurrence';
  /** On `run {service}`: true when it re-runs an occurrence a dead leader left unfinished. */
  readonly ScheduleRerun: 'hostkit.schedule.rerun';
  /** On `tick {timer}`: the timer's `name`. */
  readonly TimerName: 'hostkit.timer.name';
  /** On `tick {timer}`: `periodic` or `cron`. */
  readonly TimerKind: 'hostkit.timer.kind';
  /** A lease's name. */
  readonly LeaseName: 'hostkit.lease.name';
  /** The fencing token of a lease (on spans and events of a cluster singleton, and on lease metrics). */
  readonly LeaseFencingToken: 'hostkit.lease.fencing_token';
  /** A channel's name (`name` option of the channel factories; only named channels are measured). */
  readonly ChannelName: 'hostkit.channel.name';

  // ---- metrics ---------------------------------------------------------------------------------
  /** Counter `{message}`: entries enqueued. (semconv) */
  readonly SentMessages: 'messaging.client.sent.messages';
  /** Counter `{message}`: deliveries handed to a `consumeWorkQueue` handler. (semconv) */
  readonly ConsumedMessages: 'messaging.client.consumed.messages';
  /** Histogram `s`: handler run time in `consumeWorkQueue`, with `error.type` when it failed. (semconv) */
  readonly ProcessDuration: 'messaging.process.duration';
  /** Counter `{message}`: deliveries handled and acked. */
  readonly WorkQueueProcessed: 'hostkit.work_queue.processed';
  /** Counter `{message}`: deliveries whose handler failed (nacked). */
  readonly WorkQueueFailed: 'hostkit.work_queue.failed';
  /** Counter `{message}`: entries a nack sent to the dead-letter list (their last allowed delivery failed). */
  readonly WorkQueueDeadLettered: 'hostkit.work_queue.dead_lettered';
  /** Gauge `{message}`: entries per `hostkit.work_queue.state`, read from `counts()` at each collection, for every queue used in the process. */
  readonly WorkQueueDepth: 'hostkit.work_queue.depth';
  /** Gauge, a state set: per background service and `hostkit.service.status`, 1 for its current status and 0 for the others. */
  readonly ServiceStatusMetric: 'hostkit.background_service.status';
  /** Counter `{restart}`: restarts of `execute` by the restart policy. */
  readonly ServiceRestarts: 'hostkit.background_service.restarts';
  /** Gauge `{item}`: items buffered in a named channel. */
  readonly ChannelDepth: 'hostkit.channel.depth';
  /** Counter `{item}`: items written to a named channel (accepted, including those later dropped). */
  readonly ChannelWritten: 'hostkit.channel.written';
  /** Counter `{item}`: items read from a named channel. */
  readonly ChannelRead: 'hostkit.channel.read';
  /** Counter `{item}`: items a named channel's full mode dropped. */
  readonly ChannelDropped: 'hostkit.channel.dropped';
  /** Histogram `s`: how long writes to a named channel waited for room (only writes that waited). */
  readonly ChannelWriteWait: 'hostkit.channel.write.wait_duration';
  /** UpDownCounter `{lease}`: leases this process holds now. */
  readonly LeaseHeld: 'hostkit.lease.held';
  /** Counter `{lease}`: leases acquired. */
  readonly LeaseAcquired: 'hostkit.lease.acquired';
  /** Counter `{lease}`: leases lost (not released: renewals failed or another owner took it). */
  readonly LeaseLost: 'hostkit.lease.lost';
  /** Gauge: the fencing token of each lease held now. */
  readonly LeaseFencingTokenMetric: 'hostkit.lease.fencing_token';
  /** Histogram `s`: host start, from `start()` to every service started. */
  readonly HostStartDuration: 'hostkit.host.start.duration';
  /** Histogram `s`: host stop, the whole stop sequence. */
  readonly HostStopDuration: 'hostkit.host.stop.duration';
  /** Gauge: the exit code of the host's last `run` (0 clean, 1 failed). */
  readonly HostExitCode: 'hostkit.host.exit_code';
}

/** Every span, attribute and metric name hostkit records; see {@link TelemetryNameCatalogue} for their meaning. */
export const TelemetryNames: TelemetryNameCatalogue = Object.freeze({
  SendSpan: 'send',
  ProcessSpan: 'process',
  SettleSpans: Object.freeze(['ack', 'nack', 'release'] as const),
  ExecuteSpan: 'execute',
  OccurrenceSpan: 'run',
  TickSpan: 'tick',
  RestartingEvent: 'hostkit.background_service.restarting',
  LeaderElectedEvent: 'hostkit.lease.acquired',
  LeaseLostEvent: 'hostkit.lease.lost',
  MessagingSystem: 'messaging.system',
  MessagingDestinationName: 'messaging.destination.name',
  MessagingMessageId: 'messaging.message.id',
  MessagingConsumerGroupName: 'messaging.consumer.group.name',
  MessagingOperationType: 'messaging.operation.type',
  MessagingOperationName: 'messaging.operation.name',
  MessagingBatchMessageCount: 'messaging.batch.message_count',
  ErrorType: 'error.type',
  WorkQueueDeliveryCount: 'hostkit.work_queue.delivery_count',
  WorkQueueState: 'hostkit.work_queue.state',
  ServiceName: 'hostkit.service.name',
  ServiceStatus: 'hostkit.service.status',
  RestartAttempt: 'hostkit.restart.attempt',
  RestartDelayMs: 'hostkit.restart.delay_ms',
  ScheduleOccurrence: 'hostkit.schedule.occurrence',
  ScheduleRerun: 'hostkit.schedule.rerun',
  TimerName: 'hostkit.timer.name',
  TimerKind: 'hostkit.timer.kind',
  LeaseName: 'hostkit.lease.name',
  LeaseFencingToken: 'hostkit.lease.fencing_token',
  ChannelName: 'hostkit.channel.name',
  SentMessages: 'messaging.client.sent.messages',
  ConsumedMessages: 'messaging.client.consumed.messages',
  ProcessDuration: 'messaging.process.duration',
  WorkQueueProcessed: 'hostkit.work_queue.processed',
  WorkQueueFailed: 'hostkit.work_queue.failed',
  WorkQueueDeadLettered: 'hostkit.work_queue.dead_lettered',
  WorkQueueDepth: 'hostkit.work_queue.depth',
  ServiceStatusMetric: 'hostkit.background_service.status',
  ServiceRestarts: 'hostkit.background_service.restarts',
  ChannelDepth: 'hostkit.channel.depth',
  ChannelWritten: 'hostkit.channel.written',
  ChannelRead: 'hostkit.channel.read',
  ChannelDropped: 'hostkit.channel.dropped',
  ChannelWriteWait: 'hostkit.channel.write.wait_duration',
  LeaseHeld: 'hostkit.lease.held',
  LeaseAcquired: 'hostkit.lease.acquired',
  LeaseLost: 'hostkit.lease.lost',
  LeaseFencingTokenMetric: 'hostkit.lease.fencing_token',
  HostStartDuration: 'hostkit.host.start.duration',
  HostStopDuration: 'hostkit.host.stop.duration',
  HostExitCode: 'hostkit.host.exit_code',
});
