import { describeConsoleHostContract } from '../fixtures/console-host-contract.ts';

// Real Node processes: `node --conditions=@hostkit/source test/fixtures/<fixture>.ts`.
describeConsoleHostContract('node');
