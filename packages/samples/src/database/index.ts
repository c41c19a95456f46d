export { ActivityLogToken, type ActivityLog } from './activity-log.ts';
export { APP_DATABASE_FILE, appDatabasePath, openAppDatabase } from './app-database.ts';
export { SqliteActivityLog } from './sqlite-activity-log.ts';
export { ClusterRunLogToken, SqliteClusterRunLog, type ClusterRun, type RunRefusal } from './cluster-run-log.ts';
