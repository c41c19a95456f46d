import { describeValue } from '../internal/describe-value.ts';

/**
 * When and how often a faulted background service is restarted: bounded retries with exponential
 * backoff and jitter. Opt-in, per service (`BackgroundServiceOptions.restartPolicy`). .NET has no
 * equivalent; its users write this loop by hand.
 *
 * After the n-th consecutive fault (n = 1, 2, ...), while n <= {@link maxAttempts}, the service's
 * `execute` is called again after
 * `min(maxDelay, initialDelay * multiplier^(n-1))`, scaled by a random factor in
 * `[1 - jitter, 1 + jitter)` and capped at `maxDelay`, measured on the host's TimeProvider. The
 * fault after the last allowed restart is final: it goes to the host's
 * `backgroundServiceExceptionBehavior`.
 *
 * @example { maxAttempts: 5, initialDelay: 1_000, maxDelay: 30_000 }
 */
export interface RestartPolicy {
  /** How many times `execute` is restarted after faults before a fault is final. An integer >= 0. */
  maxAttempts: number;
  /**
   * Milliseconds before the first restart.
   * @default 1_000
   */
  initialDelay?: number | undefined;
  /**
   * The longest wait between restarts, in milliseconds.
   * @default 60_000
   */
  maxDelay?: number | undefined;
  /**
   * What each wait is multiplied by after a restart. >= 1.
   * @default 2
   */
  multiplier?: number | undefined;
  /**
   * How much each wait varies at random, as a fraction of it (0 to 1): 0.2 spreads a 1 000 ms
   * wait over 800 to 1 200 ms, so replicas that failed together do not retry together.
   * @default 0.2
   */
  jitter?: number | undefined;
  /**
   * When `execute` ran at least this many milliseconds before it faulted, the fault counts as the
   * first again: a service that fails once a day is not given up on after `maxAttempts` days.
   * `undefined`: faults are counted for the life of the service.
   * @default undefined
   */
  resetAfter?: number | undefined;
  /**
   * The source of jitter: returns a number in [0, 1). Tests pass a constant.
   * @default Math.random
   */
  random?: (() => number) | undefined;
}

/** A {@link RestartPolicy} with its defaults applied and its values checked. */
export interface ResolvedRestartPolicy {
  /** {@link RestartPolicy.maxAttempts}. */
  readonly maxAttempts: number;
  /** {@link RestartPolicy.initialDelay}, in ms. */
  readonly initialDelay: number;
  /** {@link RestartPolicy.maxDelay}, in ms. */
  readonly maxDelay: number;
  /** {@link RestartPolicy.multiplier}. */
  readonly multiplier: number;
  /** {@link RestartPolicy.jitter}. */
  readonly jitter: number;
  /** {@link RestartPolicy.resetAfter}, in ms; `undefined` when faults are counted for the life of the service. */
  readonly resetAfter: number | undefined;
  /** {@link RestartPolicy.random}. */
  readonly random: () => number;
}

/**
 * Applies the defaults of a {@link RestartPolicy} and checks every value.
 * @throws RangeError naming the option, the value and its type when a value is out of range.
 * @throws TypeError when `random` is not a function.
 */
export function resolveRestartPolicy(policy: RestartPolicy): ResolvedRestartPolicy {
  if (policy === null || typeof policy !== 'object') {
    throw new TypeError(`Expected restartPolicy to be an object, got ${describeValue(policy)}`);
  }
  const maxAttempts = policy.maxAttempts;
  if (typeof maxAttempts !== 'number' || !Number.isInteger(maxAttempts) || maxAttempts < 0) {
    throw new RangeError(`Expected restartPolicy.maxAttempts to be an integer >= 0, got ${describeValue(maxAttempts)}`);
  }
  const initialDelay = checkMilliseconds('initialDelay', policy.initialDelay ?? 1_000);
  const maxDelay = checkMilliseconds('maxDelay', policy.maxDelay ?? 60_000);
  const multiplier = policy.multiplier ?? 2;
  if (typeof multiplier !== 'number' || !Number.isFinite(multiplier) || multiplier < 1) {
    throw new RangeError(`Expected restartPolicy.multiplier to be a finite number >= 1, got ${describeValue(multiplier)}`);
  }
  const jitter = policy.jitter ?? 0.2;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
    throw new RangeError(`Expected restartPolicy.jitter to be a number from 0 to 1, got ${describeValue(jitter)}`);
  }
  const random = policy.random ?? Math.random;
  if (typeof random !== 'function') {
    throw new TypeError(`Expected restartPolicy.random to be a function, got ${describeValue(random)}`);
  }
  return Object.freeze({
    maxAttempts,
    initialDelay,
    maxDelay,
    multiplier,
    jitter,
    resetAfter: policy.resetAfter === undefined ? undefined : checkMilliseconds('resetAfter', policy.resetAfter),
    random,
  });
}

/**
 * The wait in whole milliseconds before restart number `attempt` (1 for the first restart).
 * A `random` that returns something outside [0, 1) is clamped into it.
 */
export function restartDelay(policy: ResolvedRestartPolicy, attempt: number): number {
  const base = Math.min(policy.maxDelay, policy.initialDelay * policy.multiplier ** (attempt - 1));
  const sample = policy.random();
  const unit = Number.isFinite(sample) ? Math.min(Math.max(sample, 0), 1) : 0.5;
  const factor = 1 - policy.jitter + 2 * policy.jitter * unit;
  return Math.round(Math.min(policy.maxDelay, Math.max(0, base * factor)));
}

function checkMilliseconds(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`Expected restartPolicy.${name} to be a finite number of milliseconds >= 0, got ${describeValue(value)}`);
  }
  return value;
}
