/**
 * Suffixes, compared case-insensitively, of names that tools write while a file is incomplete:
 * hostkit's own `.partial` and `.tmp`, browsers' and downloaders' `.part`, `.crdownload` and
 * `.download`, vim's swap files.
 */
const temporarySuffixes: readonly string[] = [
  '.tmp',
  '.temp',
  '.partial',
  '.part',
  '.crdownload',
  '.download',
  '.swp',
  '.swo',
  '.swx',
];

/**
 * Whether `name` (a file name, without directories) looks like a file that is not meant to be
 * processed: a temporary file a producer writes before renaming it into place, an editor's
 * backup, swap or lock file, or a hidden file. The default filter of file watchers, so that a
 * half-written file under its temporary name is never reported; the file is reported when it is
 * renamed to its final name.
 *
 * Ignored:
 * - hidden files, `.name` (also covers rsync's `.name.XXXXXX` temporaries, emacs's `.#name`
 *   locks, vim's `.name.swp`);
 * - names ending in `.tmp`, `.temp`, `.partial`, `.part`, `.crdownload`, `.download`, `.swp`,
 *   `.swo`, `.swx`, in any case;
 * - backups ending in `~`; emacs autosaves `#name#`; Office owner files `~$name`.
 *
 * Compose it to extend the rules rather than copying them:
 * ```ts
 * ignore: (name) => isTemporaryFileName(name) || name.endsWith('.lock')
 * ```
 */
export function isTemporaryFileName(name: string): boolean {
  if (name.startsWith('.') || name.endsWith('~') || name.startsWith('~$')) return true;
  if (name.length > 1 && name.startsWith('#') && name.endsWith('#')) return true;
  const lower = name.toLowerCase();
  return temporarySuffixes.some((suffix) => lower.endsWith(suffix));
}
