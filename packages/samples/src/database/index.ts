export { ActivityLogToken, type ActivityLog } from './activity-log.ts';
export { APP_DATABASE_FILE, appDatabasePath, openAppDatabase, SHORT_BUSY_TIMEOUT_MS, type OpenAppDatabaseOptions } from './app-database.ts';
export { sqliteErrorKind, type SqliteErrorKind } from './sqlite-errors.ts';
export { SqliteActivityLog, type ActivityLogCounts, type SqliteActivityLogOptions } from './sqlite-activity-log.ts';
export { ClusterRunLogToken, SqliteClusterRunLog, type ClusterRun, type RunRefusal } from './cluster-run-log.ts';
