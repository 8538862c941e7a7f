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
    // Rate limits off in effect: a test file sends hundreds of requests from 127.0.0.1 in seconds.
    // tests/attacks/ starts its API processes with the limits of production, or smaller ones.
    // Worker processes the tests start keep their metrics port off (0): several run at once on one
    // host and would fight over 9464; tests/workers/metrics.test.ts gives its worker a port of its own.
    env: { ECGFLOW_TF_BACKEND: process.env.ECGFLOW_TF_BACKEND ?? 'wasm', API_RATE_LIMIT_MAX_PER_IP: '1000000', API_RATE_LIMIT_MAX_PER_KEY: '1000000', ECGFLOW_WORKER_METRICS_PORT: '0' },
  },
});
