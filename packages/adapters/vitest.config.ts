import { defineProject } from 'vitest/config';

export default defineProject({
  // Workspace packages resolve to their TypeScript sources ("@hostkit/source" export condition, set only inside this repo): no build before tests.
  resolve: { conditions: ['@hostkit/source'] },
  ssr: { resolve: { conditions: ['@hostkit/source'] } },
  test: {
    name: 'adapters',
    include: ['test/**/*.test.ts'],
  },
});
