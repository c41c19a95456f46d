import type { RecoveryReport } from './file-store.ts';

/**
 * The sample's counters, shared by the upload route, the processing service and GET /status.
 * Plain numbers on one event loop: read them at any time.
 */
export class FileProcessingCounters {
  /** Inputs whose result was written and which were then removed. */
  processed = 0;
  /** Inputs moved to `failed/` after their last attempt. */
  failed = 0;
  /** Attempts that failed and were tried again after a backoff. */
  retried = 0;
  /** Cluster mode: work-queue entries this replica is handling right now. */
  inProgress = 0;
  /** Inputs that were gone when their turn came (processed already, or moved away): nothing to do. */
  gone = 0;
  /** Uploads answered 202. */
  uploadsAccepted = 0;
  /** Uploads answered 413. */
  uploadsTooLarge = 0;
  /** Uploads answered 400. */
  uploadsInvalid = 0;
  /** Uploads answered 503 because the channel stayed full (or the processor had stopped). */
  uploadsRejectedBusy = 0;
  /** Uploads answered 507 because DATA_DIR's disk was full. */
  uploadsRejectedNoSpace = 0;
  /** What start-up found and put right, once it has run. */
  recovery: RecoveryReport | undefined = undefined;
}
