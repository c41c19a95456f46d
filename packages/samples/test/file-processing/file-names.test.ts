import { isTemporaryFileName } from '@hostkit/core';
import { describe, expect, it } from 'vitest';
import {
  acceptedUploadFileName,
  atomicTemporaryName,
  isAtomicTemporaryName,
  isStagingFileName,
  newUploadId,
  parseInputName,
  resultFileName,
  sanitizeClientFileName,
  stagingFileName,
} from '../../src/file-processing/file-names.ts';

const SHA = 'a'.repeat(12) + 'b'.repeat(52);

describe('sanitizeClientFileName', () => {
  it.each([
    ['report.csv', 'report.csv'],
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\windows\\system32\\cmd.exe', 'cmd.exe'],
    ['/absolute/path/x.txt', 'x.txt'],
    ['.hidden', 'hidden'],
    ['...', 'upload'],
    ['', 'upload'],
    [undefined, 'upload'],
    ['-rf', 'rf'],
    ['my file (1).txt', 'my_file_1_.txt'],
    ['a\u0000b\r\nc.txt', 'a_b_c.txt'],
    ['résumé.pdf', 'résumé.pdf'],
    ['日本語.txt', '日本語.txt'],
    ['con:stream', 'con_stream'],
  ])('turns %j into %j', (input, expected) => {
    expect(sanitizeClientFileName(input)).toBe(expected);
  });

  it('keeps at most 120 UTF-8 bytes without splitting a character when the name is long', () => {
    const name = sanitizeClientFileName(`${'é'.repeat(100)}.txt`);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(120);
    expect(name).toBe('é'.repeat(60));
  });

  it('never returns a separator, a leading dot or an empty name when given hostile input', () => {
    for (const input of ['/', '\\', '././.', '..%2f..%2f', '\u202e.exe', ' ', '\t']) {
      const name = sanitizeClientFileName(input);
      expect(name).not.toMatch(/[/\\]/);
      expect(name.startsWith('.')).toBe(false);
      expect(name.length).toBeGreaterThan(0);
    }
  });
});

describe('acceptedUploadFileName', () => {
  it('prefixes the id so two uploads with the same client name never share a name', () => {
    const a = acceptedUploadFileName(newUploadId(), 'report.csv');
    const b = acceptedUploadFileName(newUploadId(), 'report.csv');
    expect(a).not.toBe(b);
    expect(a.endsWith('--report.csv')).toBe(true);
  });

  it('appends _ when the name would be ignored by the inbox watcher as temporary', () => {
    const id = newUploadId();
    for (const client of ['notes.tmp', 'x.partial', 'video.part', 'page.crdownload']) {
      const name = acceptedUploadFileName(id, client);
      expect(isTemporaryFileName(name)).toBe(false);
      expect(name).toBe(`${id}--${client}_`);
    }
  });
});

describe('parseInputName', () => {
  it('reads the upload id and client name of an accepted upload', () => {
    const id = newUploadId();
    expect(parseInputName(acceptedUploadFileName(id, 'a--b.txt'))).toEqual({ uploadId: id, originalName: 'a--b.txt' });
  });

  it('treats any other name as a dropped file', () => {
    expect(parseInputName('report--2026.csv')).toEqual({ uploadId: undefined, originalName: 'report--2026.csv' });
  });
});

describe('resultFileName', () => {
  it('is the input name plus .result.json when plain', () => {
    expect(resultFileName('a.txt', SHA, 'plain')).toBe('a.txt.result.json');
  });

  it('adds the first 12 hex of the hash when disambiguated', () => {
    expect(resultFileName('a.txt', SHA, 'disambiguated')).toBe('a.txt.aaaaaaaaaaaa.result.json');
  });

  it('stays under 255 bytes and distinct when input names are long', () => {
    const a = resultFileName(`${'x'.repeat(250)}1`, SHA, 'disambiguated');
    const b = resultFileName(`${'x'.repeat(250)}2`, SHA, 'disambiguated');
    expect(Buffer.byteLength(a)).toBeLessThan(255);
    expect(a).not.toBe(b);
  });
});

describe('temporary names', () => {
  it('marks staging files and atomic-write temporaries so that start-up can recognise them', () => {
    const id = newUploadId();
    expect(isStagingFileName(stagingFileName(id))).toBe(true);
    expect(isTemporaryFileName(stagingFileName(id))).toBe(true);
    const temporary = atomicTemporaryName('a.txt.result.json');
    expect(isAtomicTemporaryName(temporary)).toBe(true);
    expect(isTemporaryFileName(temporary)).toBe(true);
    expect(isAtomicTemporaryName('a.txt.result.json')).toBe(false);
  });
});
