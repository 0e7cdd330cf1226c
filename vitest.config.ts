import { defineConfig } from 'vitest/config';

// Tests read sibling packages' src/ through the "@cosi-ts/source" export condition, so `npm test`
// needs no build. Only src/ and test/ are scanned: dist/ holds compiled copies of the same tests.
const conditions = ['@cosi-ts/source', 'node', 'import', 'module', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
