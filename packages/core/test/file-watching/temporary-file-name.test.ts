import { describe, expect, it } from 'vitest';
import { isTemporaryFileName } from '../../src/file-watching/index.ts';

describe('isTemporaryFileName', () => {
  it.each([
    '.hidden',
    '.report.csv.swp',
    '.#report.csv',
    '.report.csv.Xa81bC',
    'report.csv.tmp',
    'REPORT.CSV.TMP',
    'report.csv.temp',
    'report.csv.partial',
    'video.mp4.part',
    'setup.exe.crdownload',
    'file.download',
    'report.csv.swp',
    'report.csv.swo',
    'report.csv.swx',
    'report.csv~',
    '#report.csv#',
    '~$report.docx',
  ])('ignores %s', (name) => {
    expect(isTemporaryFileName(name)).toBe(true);
  });

  it.each(['report.csv', 'tmp', 'partial.csv', 'report.tmp.csv', 'a~b', '#', 'notes#', '~report.csv'])(
    'keeps %s',
    (name) => {
      expect(isTemporaryFileName(name)).toBe(false);
    },
  );
});
