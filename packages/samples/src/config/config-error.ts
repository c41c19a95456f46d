/**
 * The configuration is invalid: thrown by `loadConfig` before anything starts. `problems` has one
 * line per bad setting, each naming the variable, the value and what was expected.
 */
export class ConfigError extends Error {
  override readonly name: string = 'ConfigError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.problems = Object.freeze([...problems]);
  }
}
