import { describeConsoleHostContract } from '../fixtures/console-host-contract.ts';

// Real Deno processes: `deno run -A --conditions=@hostkit/source test/fixtures/<fixture>.ts`.
describeConsoleHostContract('deno');
