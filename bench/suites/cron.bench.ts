/**
 * Cron: the next occurrence of each of 10,000 schedules, the work a host with many scheduled jobs
 * (or a status page listing their next runs) does. hostkit's `CronSchedule` wraps croner, which
 * parses and computes; the ratio says what the wrapper costs over calling croner directly (the
 * issue's target: at least 0.8x).
 *
 * Both sides get the same 10,000 expressions in the same time zones, built once before the timed
 * rounds (parsing is not what is measured), and the same instants to start from.
 */
import { Cron } from 'croner';
import { CronSchedule } from '../../packages/core/src/index.ts';
import { type BenchCase, formatCount, judgeFaster, measureInterleaved, runSuite } from '../lib/harness.ts';

const HOSTKIT = 'hostkit CronSchedule.nextAfter';
const CRONER = 'croner Cron.nextRun';
const SCHEDULES = 10_000;

const EXPRESSIONS = ['0 * * * *', '*/5 * * * *', '30 2 * * *', '0 9 * * MON-FRI', '15 */6 * * *', '0 0 1 * *', '*/10 * * * * *', '0 30 8 * * SAT'];
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Australia/Sydney'];

/** Counts results, so that no engine can drop the work as unused. */
let checksum = 0;

await runSuite(import.meta.url, async ({ quick }) => {
  const base = Date.parse('2026-03-01T00:00:00Z');
  const ours: CronSchedule[] = [];
  const theirs: Cron[] = [];
  for (let i = 0; i < SCHEDULES; i++) {
    const expression = EXPRESSIONS[i % EXPRESSIONS.length]!;
    const timeZone = ZONES[i % ZONES.length]!;
    ours.push(new CronSchedule(expression, { timeZone }));
    theirs.push(new Cron(expression, { timezone: timeZone, mode: '5-or-6-parts' }));
  }
  // A different instant per call (spread over a year, crossing both DST transitions), the same on both sides.
  const froms = Array.from({ length: SCHEDULES }, (_, i) => base + ((i * 7_919_123) % (365 * 86_400_000)));
  for (let i = 0; i < SCHEDULES; i += 997) {
    const a = ours[i]!.nextAfter(froms[i]!);
    const b = theirs[i]!.nextRun(new Date(froms[i]!))?.getTime();
    if (a !== b) throw new Error(`Expected the same next occurrence from both, got ${a} and ${b} for schedule ${i}`);
  }
  const cases: BenchCase[] = [
    {
      name: HOSTKIT,
      run: (n) => {
        for (let i = 0; i < n; i++) {
          const k = i % SCHEDULES;
          checksum += ours[k]!.nextAfter(froms[k]!) ?? 0;
        }
      },
    },
    {
      name: CRONER,
      run: (n) => {
        for (let i = 0; i < n; i++) {
          const k = i % SCHEDULES;
          checksum += theirs[k]!.nextRun(new Date(froms[k]!))?.getTime() ?? 0;
        }
      },
    },
  ];
  const results = await measureInterleaved(cases, {
    items: SCHEDULES,
    rounds: quick ? 3 : 10,
    warmupRounds: 2,
    label: `cron, next occurrence of ${formatCount(SCHEDULES)} schedules`,
  });
  if (!(checksum > 0)) throw new Error('Expected occurrences to be computed');
  return {
    cases: results,
    ratios: [judgeFaster(results, `next occurrence of ${formatCount(SCHEDULES)} schedules, hostkit vs croner alone`, HOSTKIT, CRONER, 0.8)],
    notes: [
      `${formatCount(SCHEDULES)} schedules (${EXPRESSIONS.length} expressions x ${ZONES.length} zones), one next occurrence each per sample, from instants spread over 2026`,
    ],
  };
});
