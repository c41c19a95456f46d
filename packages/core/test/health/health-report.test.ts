import { describe, expect, it } from 'vitest';
import { formatHealthReportJson, healthStatusToHttpStatus, worstHealthStatus, type HealthReport } from '../../src/health/index.ts';

const report: HealthReport = {
  status: 'unhealthy',
  totalDuration: 12.5,
  entries: {
    db: { status: 'unhealthy', description: 'refused', duration: 12.5, error: new Error('ECONNREFUSED'), tags: ['ready'] },
    cache: { status: 'healthy', duration: 1, data: { hits: 10n }, tags: [] },
  },
};

describe('formatHealthReportJson', () => {
  it('writes the report as JSON with errors as their messages', () => {
    expect(JSON.parse(formatHealthReportJson(report))).toEqual({
      status: 'unhealthy',
      totalDuration: 12.5,
      entries: {
        db: { status: 'unhealthy', description: 'refused', duration: 12.5, error: 'ECONNREFUSED', tags: ['ready'] },
        cache: { status: 'healthy', duration: 1, data: { hits: '10' }, tags: [] },
      },
    });
  });

  it('writes only statuses when details are left out', () => {
    expect(JSON.parse(formatHealthReportJson(report, { includeDetails: false }))).toEqual({
      status: 'unhealthy',
      entries: { db: { status: 'unhealthy' }, cache: { status: 'healthy' } },
    });
  });

  it('writes circular data without throwing', () => {
    const data: Record<string, unknown> = {};
    data['self'] = data;
    const body = formatHealthReportJson({ status: 'healthy', totalDuration: 0, entries: { a: { status: 'healthy', duration: 0, data, tags: [] } } });
    expect(JSON.parse(body)).toMatchObject({ entries: { a: { data: { self: '[Circular]' } } } });
  });
});

describe('HealthStatus', () => {
  it('lets the worst status win, healthy when there is none', () => {
    expect(worstHealthStatus([])).toBe('healthy');
    expect(worstHealthStatus(['healthy', 'degraded'])).toBe('degraded');
    expect(worstHealthStatus(['unhealthy', 'degraded', 'healthy'])).toBe('unhealthy');
  });

  it('maps unhealthy to HTTP 503 and the others to 200', () => {
    expect([healthStatusToHttpStatus('healthy'), healthStatusToHttpStatus('degraded'), healthStatusToHttpStatus('unhealthy')]).toEqual([
      200, 200, 503,
    ]);
  });
});
