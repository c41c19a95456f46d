import { describeConsoleHostContract } from '../fixtures/console-host-contract.ts';

// Real Deno processes: `deno run -A --conditions=source test/fixtures/<fixture>.ts`.
describeConsoleHostContract('deno');
