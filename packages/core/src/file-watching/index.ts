/**
 * File watching: the {@link FileWatcher} port (a directory as an inbox of complete files) and
 * {@link createFileChannelFeeder}, which feeds a bounded channel from a watcher without losing
 * files and without unbounded memory. Implementations of the port are in `@hostkit/adapters`
 * (`@hostkit/adapters/chokidar`).
 * @module
 */
export type { FileWatcher, FileWatchHandler } from './file-watcher.ts';
export type { FileWorkItem } from './file-work-item.ts';
export {
  createFileChannelFeeder,
  type FileChannelFeeder,
  type FileChannelFeederOptions,
  type FileChannelFeederStats,
} from './file-channel-feeder.ts';
export { isTemporaryFileName } from './temporary-file-name.ts';
