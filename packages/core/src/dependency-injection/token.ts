import { describeValue } from '../internal/describe-value.ts';
/**
 * A class usable as a service token: the class itself names the service, abstract classes too
 * (register an implementation under its abstract base). The constructor's parameters do not
 * matter: hostkit never calls it, the registration's factory does.
 */
export type ServiceClass<T> = abstract new (...args: never[]) => T;

/**
 * A typed token for a service that has no class of its own (an interface, a function, a
 * configuration object). Create one with {@link createToken}. Two tokens with the same name are
 * different tokens: identity is the object, the name only shows in error messages.
 *
 * To inject a hostkit registration into a class bound directly on the inversify container, use
 * {@link Token.symbol} as the inversify service identifier (`@inject(MyToken.symbol)`).
 */
export class Token<T> {
  /** Shown in error messages: `No service is registered for 'Clock'`. */
  readonly name: string;
  /** The inversify service identifier the token is bound under in the raw container. */
  readonly symbol: symbol;
  /** Carries `T` for type inference only; never set at run time. */
  declare private readonly type: T;

  /** Use {@link createToken}. */
  constructor(name: string) {
    if (typeof name !== 'string' || name.length === 0) {
      throw new TypeError(`Expected token name to be a non-empty string, got ${describeValue(name)}`);
    }
    this.name = name;
    this.symbol = Symbol(name);
    Object.freeze(this);
  }

  /** `Token(Clock)`: what a token looks like in a template string. */
  toString(): string {
    return `Token(${this.name})`;
  }
}

/** What services are registered and resolved by: a class or a {@link Token}. */
export type ServiceToken<T> = Token<T> | ServiceClass<T>;

/** The service type a token resolves to: `ServiceType<typeof Clock>` is `Clock`. */
export type ServiceType<K> = K extends Token<infer T> ? T : K extends ServiceClass<infer T> ? T : never;

/**
 * Creates a typed token for a service that has no class of its own.
 *
 * ```ts
 * interface Clock { now(): number }
 * const Clock = createToken<Clock>('Clock');
 * services.addSingleton(Clock, () => ({ now: () => Date.now() }));
 * ```
 * @param name Shown in error messages; need not be unique.
 * @throws TypeError when `name` is not a non-empty string.
 */
export function createToken<T>(name: string): Token<T> {
  return new Token<T>(name);
}

/** Internal: whether `value` can identify a service. */
export function isServiceToken(value: unknown): value is ServiceToken<unknown> {
  return typeof value === 'function' || value instanceof Token;
}

/**
 * Internal: checks a token given by a caller.
 * @param what How the message names the argument: `token`, `dependencies[1] of 'Clock'`.
 * @throws TypeError naming the value and its type when it is neither a class nor a Token.
 */
export function checkToken(value: unknown, what: string): ServiceToken<unknown> {
  if (!isServiceToken(value)) {
    throw new TypeError(
      `Expected ${what} to be a class or a token from createToken(), got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Internal: the name of a token as error messages show it. */
export function tokenName(token: ServiceToken<unknown>): string {
  if (token instanceof Token) return token.name;
  return token.name === '' ? '<anonymous class>' : token.name;
}

