import { describe, expect, it } from 'vitest';
import { WeatherApiError, WeatherRequestError, WeatherResponseError } from '../../src/weather/index.ts';

describe('WeatherApiError', () => {
  it('says the status, reason, attempts and requested wait when all are known', () => {
    const cause = new Error('inner');
    const error = new WeatherApiError(429, { reason: 'Too many requests', attempts: 3, retryAfterMs: 60_000, cause });

    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('WeatherApiError');
    expect(error.message).toBe('Weather service responded with status 429: Too many requests (after 3 attempts); it asked to retry after 60000 ms');
    expect(error).toMatchObject({ status: 429, reason: 'Too many requests', attempts: 3, retryAfterMs: 60_000 });
    expect(error.cause).toBe(cause);
  });

  it('says only the status when nothing else is known', () => {
    const error = new WeatherApiError(500);

    expect(error.message).toBe('Weather service responded with status 500');
    expect(error).toMatchObject({ reason: undefined, attempts: 1, retryAfterMs: undefined });
    expect('cause' in error).toBe(false);
  });
});

describe('WeatherResponseError', () => {
  it('names the problem in the message and keeps it apart when created', () => {
    const error = new WeatherResponseError('daily.temperature_2m_max is missing', { attempts: 2 });

    expect(error.name).toBe('WeatherResponseError');
    expect(error.message).toBe('Invalid weather response: daily.temperature_2m_max is missing (after 2 attempts)');
    expect(error.problem).toBe('daily.temperature_2m_max is missing');
  });
});

describe('WeatherRequestError', () => {
  it('names the problem in the message and keeps the cause when created', () => {
    const cause = Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' });
    const error = new WeatherRequestError('no response headers within 50 ms (headersTimeout)', { cause });

    expect(error.name).toBe('WeatherRequestError');
    expect(error.message).toBe('Weather request failed: no response headers within 50 ms (headersTimeout)');
    expect(error).toMatchObject({ problem: 'no response headers within 50 ms (headersTimeout)', attempts: 1 });
    expect(error.cause).toBe(cause);
  });
});
