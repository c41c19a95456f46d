export { addCleanup, type CleanupDependencies } from './add-cleanup.ts';
export { CleanupService, formatMs, type CleanupRun, type CleanupServiceOptions } from './cleanup-service.ts';
export { LogCleanupUnitOfWork, LogCleanupUnitOfWorkToken } from './log-cleanup-unit-of-work.ts';
