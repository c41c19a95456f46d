/**
 * One file to process, as {@link createFileChannelFeeder} writes it to a channel.
 *
 * The consumer owns the file from the moment it reads the item until it calls {@link done}:
 * until then the feeder does not queue the same path again, however often the watcher or a
 * rescan reports it.
 *
 * ```ts
 * for await (const file of reader.readAll(stopping)) {
 *   try {
 *     await processFile(file.path);       // ENOENT: the file went away since it was reported
 *     await rename(file.path, donePath);  // take it out of the inbox...
 *   } finally {
 *     file.done();                        // ...then let the feeder forget it
 *   }
 * }
 * ```
 */
export interface FileWorkItem {
  /** Absolute path of the file, as the watcher reported it. */
  readonly path: string;

  /**
   * Tells the feeder that the consumer has finished with the file, whatever the outcome. Call it
   * AFTER removing or moving the file out of the watched directory: a file still there
   * afterwards is work again the next time it is reported (it changed, a rescan ran, or the
   * process restarted), which is how a failed file is retried. Idempotent; does nothing once the
   * feeder has stopped.
   */
  done(): void;
}
