import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // The fault-injection suite stops and kills servers; it runs alone, through `npm run chaos`.
    exclude: [...configDefaults.exclude, 'tests/chaos/**'],
    // Temporal's native bridge and TensorFlow's wasm runtime want real processes, not worker threads.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 120_000,
    hookTimeout: 180_000,
    globalSetup: ['tests/helpers/global-setup.ts'],
    // The suite pins TensorFlow.js's wasm backend (workers inherit it), so its figures and seeded
    // results do not depend on whether scripts/setup-tfjs-node.sh built the native one; the native
    // backend has its own tests, which run when it loads.
    env: { ECGFLOW_TF_BACKEND: process.env.ECGFLOW_TF_BACKEND ?? 'wasm' },
  },
});
