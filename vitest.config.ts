import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Temporal's native bridge and TensorFlow's wasm runtime want real processes, not worker threads.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 120_000,
    hookTimeout: 180_000,
    globalSetup: ['tests/helpers/global-setup.ts'],
  },
});
