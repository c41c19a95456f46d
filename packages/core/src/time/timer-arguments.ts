import { describeValue } from '../internal/describe-value.ts';
/**
 * Argument checks shared by every {@link TimeProvider} implementation in core, so the system and
 * the manual provider reject exactly the same values with exactly the same messages.
 *
 * Internal: not exported from the package. Adapters that implement their own provider may copy
 * the rules from {@link TimeProvider.createTimer}'s documentation.
 * @module
 */


/**
 * Checks a timer's `dueTime`: a number >= 0, `Infinity` meaning "never" (the timer stays armed
 * but idle until {@link Timer.change}).
 * @throws RangeError naming the value and its type otherwise.
 */
export function checkDueTime(dueTime: unknown): number {
  if (typeof dueTime !== 'number' || !(dueTime >= 0)) {
    throw new RangeError(
      `Expected dueTime to be a number >= 0 (Infinity: never), got ${describeValue(dueTime)}`,
    );
  }
  return dueTime;
}

/**
 * Checks a timer's `period` and normalises it: `undefined`, `0` and `Infinity` all mean "no
 * repetition" (0 as in .NET's `System.Threading.Timer`, where a zero period fires once), and come
 * back as `Infinity`.
 * @throws RangeError naming the value and its type when it is negative, NaN or not a number.
 */
export function checkPeriod(period: unknown): number {
  if (period === undefined) return Infinity;
  if (typeof period !== 'number' || !(period >= 0)) {
    throw new RangeError(
      `Expected period to be a number >= 0 (0 or Infinity: no repetition), got ${describeValue(period)}`,
    );
  }
  return period === 0 ? Infinity : period;
}
