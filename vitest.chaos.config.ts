import { defineConfig } from 'vitest/config';
import { CHAOS_ENV } from './tests/chaos/helpers/chaos-env';

// `npm run chaos`: the fault-injection suite. It stops and kills servers, so it runs alone, one file
// at a time, against its own MariaDB and Temporal dev server (tests/chaos/helpers/chaos-env.ts).
export default defineConfig({
  test: {
    include: ['tests/chaos/**/*.chaos.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    poolOptions: { forks: { singleFork: false, maxForks: 1, minForks: 1 } },
    env: { ECGFLOW_TF_BACKEND: process.env.ECGFLOW_TF_BACKEND ?? 'wasm', ECGFLOW_WORKER_METRICS_PORT: '0', ...CHAOS_ENV },
    testTimeout: 300_000,
    hookTimeout: 300_000,
    globalSetup: ['tests/chaos/helpers/global-setup.ts'],
  },
});
