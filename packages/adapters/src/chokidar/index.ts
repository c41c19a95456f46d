/**
 * `@hostkit/adapters/chokidar`: the {@link FileWatcher} port of `@hostkit/core` on chokidar 6.
 *
 * This module only chooses the implementation: the contract (what a complete file is, what is
 * reported, how a consumer is fed without loss) lives in core's `file-watching` area, with
 * `createFileChannelFeeder`. Runs on Node and on Deno.
 * @module
 */
export { type ChokidarFileWatcherOptions, createChokidarFileWatcher } from './chokidar-file-watcher.ts';
