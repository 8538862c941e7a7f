import path from 'node:path';
import { projectRoot } from '../../../config/env';

/**
 * The chaos suite's own MariaDB and Temporal dev server. It stops and kills them, so it must never
 * point at the shared ones (3306, 7233) that other test runs and the demo use.
 */
export const CHAOS_ENV = {
  ECGFLOW_DATA_DIR: path.join(projectRoot, '.data', 'chaos'),
  MYSQL_HOST: '127.0.0.1',
  MYSQL_PORT: process.env.CHAOS_MYSQL_PORT ?? '3307',
  TEMPORAL_ADDRESS: process.env.CHAOS_TEMPORAL_ADDRESS ?? '127.0.0.1:7234',
  TEMPORAL_UI_PORT: process.env.CHAOS_TEMPORAL_UI_PORT ?? '8234',
  // The restart scenario measures restarts under load from one address, not the rate limiter.
  API_RATE_LIMIT_MAX_PER_IP: '1000000',
  API_RATE_LIMIT_MAX_PER_KEY: '1000000',
} as const satisfies Record<string, string>;

/** Refuses to go on when the environment would reach the shared servers instead of the chaos ones. */
export function assertChaosTargets(env: NodeJS.ProcessEnv): void {
  if (env.DATABASE_URL) throw new Error('chaos suite: unset DATABASE_URL; it would override the chaos MariaDB on port ' + CHAOS_ENV.MYSQL_PORT);
  for (const name of ['MYSQL_PORT', 'TEMPORAL_ADDRESS'] as const) {
    if (env[name] !== CHAOS_ENV[name]) throw new Error(`chaos suite: ${name} is ${env[name] ?? 'unset'}, expected the chaos server's ${CHAOS_ENV[name]}`);
  }
  if (CHAOS_ENV.MYSQL_PORT === '3306' || CHAOS_ENV.TEMPORAL_ADDRESS.endsWith(':7233')) {
    throw new Error('chaos suite: refusing to stop and kill the shared servers on 3306/7233');
  }
}
