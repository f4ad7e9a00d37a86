import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['common/**/*.test.ts', 'collector/**/*.test.ts', 'fixtures/**/*.test.ts', 'test/**/*.test.ts', 'renderer/**/*.test.ts', 'main/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
