import { describe, expect, it } from 'vitest';
import { openAppDatabase } from '../../src/database/app-database.ts';
import { tempDir } from '../helpers.ts';

describe('openAppDatabase', () => {
  it('fsyncs every commit by default (synchronous FULL) and only at checkpoints when asked for normal', async () => {
    await using dir = await tempDir();
    const full = openAppDatabase(dir.path);
    const normal = openAppDatabase(dir.path, { synchronous: 'normal' });
    try {
      // PRAGMA synchronous: 2 = FULL, 1 = NORMAL; per connection, both in WAL mode.
      expect(full.prepare('PRAGMA synchronous').get()).toEqual({ synchronous: 2 });
      expect(normal.prepare('PRAGMA synchronous').get()).toEqual({ synchronous: 1 });
      expect(normal.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    } finally {
      full.close();
      normal.close();
    }
  });
});
