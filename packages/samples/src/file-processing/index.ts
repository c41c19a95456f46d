/**
 * The file-processing sample: files arrive by POST /upload or by being dropped into
 * DATA_DIR/inbox/, travel through one bounded channel, and a single background service turns each
 * into DATA_DIR/outbox/<name>.result.json (bytes, lines, words, SHA-256), crash-safely: see
 * `FileStore` for why no file is lost or processed into two results, whenever the process dies.
 * @module
 */
export {
  addFileProcessing,
  FileChannelToken,
  FileProcessingStartup,
  FileStoreToken,
  InboxWatcherToken,
  PROCESSING_DELAY_VARIABLE,
  type FileProcessingDependencies,
  type FileProcessingOptions,
} from './add-file-processing.ts';
export { FileProcessingCounters } from './file-processing-counters.ts';
export { FILES_ACTIVITY_SOURCE, FileProcessingService, type FileProcessingServiceOptions } from './file-processing-service.ts';
export { FileStore, type FailureReport, type FileResultDocument, type FileStoreOptions, type RecoveryReport } from './file-store.ts';
export { InboxWatcherService, type InboxWatcherServiceOptions } from './inbox-watcher-service.ts';
export { processInputFile, type ProcessInputFileOptions, type ProcessInputOutcome } from './process-input-file.ts';
export { FigureCounter, ResultProcessor, type FileFigures, type ResultProcessorOptions } from './result-processor.ts';
export { addUploadRoute, StagingQuota, type UploadRouteOptions } from './upload-route.ts';
export { UploadIdempotencyStore, type StoredAnswer } from './idempotency-store.ts';
export { receiveUpload, type ReceiveOutcome, type ReceiveUploadOptions } from './receive-upload.ts';
export * from './file-names.ts';
