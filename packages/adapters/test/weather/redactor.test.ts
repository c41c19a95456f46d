import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/open-meteo/redactor.ts';

describe('Redactor', () => {
  const secret = 'a b&c';
  const redactor = new Redactor(secret);

  it('replaces the key, raw and URL-encoded, when text contains it', () => {
    expect(redactor.text(`?apikey=${encodeURIComponent(secret)} or ${secret}`)).toBe('?apikey=[redacted] or [redacted]');
  });

  it('returns the very error when nothing in it mentions the key', () => {
    const error = new Error('plain', { cause: new Error('inner') });

    expect(redactor.error(error)).toBe(error);
  });

  it('copies an error and its cause chain with the key replaced when a cause mentions it', () => {
    const inner = Object.assign(new Error(`GET /x?apikey=${encodeURIComponent(secret)}`), { code: 'E_X', port: 443, url: `/x?k=${secret}` });
    const outer = new TypeError('outer', { cause: inner });

    const copy = redactor.error(outer) as Error & { cause: Error & { code: string; port: number; url: string } };

    expect(copy).not.toBe(outer);
    expect(copy.name).toBe('TypeError');
    expect(copy.message).toBe('outer');
    expect(copy.cause.message).toBe('GET /x?apikey=[redacted]');
    expect(copy.cause.stack).not.toContain(encodeURIComponent(secret));
    expect(copy.cause).toMatchObject({ code: 'E_X', port: 443, url: '/x?k=[redacted]' });
  });

  it('passes everything through when there is no key', () => {
    const error = new Error('apikey=anything');

    expect(new Redactor(undefined).error(error)).toBe(error);
    expect(new Redactor(undefined).text('apikey=anything')).toBe('apikey=anything');
  });
});
