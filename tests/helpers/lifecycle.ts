import type { Kysely } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import type { Config } from '../../config/env';
import type { Database } from '../../db/database';
import type { MigrationName } from '../../db/migrate';
import { startTestApi, type TestApi } from './api';
import { createTestDatabase, type TestDatabase } from './db';
import { startTestPipeline, type TestPipeline } from './temporal';

export interface TestServicesOptions {
  /** Migrate the fresh database only this far (createTestDatabase's migrateTo). */
  migrateTo?: MigrationName;
  /**
   * A Temporal client and task queue of the file's own (startTestPipeline), with an in-process
   * worker unless `worker: false`; `env` adds variables to the ones the pipeline's config reads.
   */
  pipeline?: boolean | { worker?: boolean; env?: Record<string, string> };
  /** The real API app on the database and the pipeline (startTestApi); `config` overrides settings. */
  api?: boolean | { config?: Partial<Config> };
  /** Runs once everything above is up, still in the same beforeAll. */
  seed?: (services: TestServices) => Promise<void>;
}

/** What a test file shares: each field can be read once the helper's beforeAll has set it up. */
export interface TestServices {
  readonly t: TestDatabase;
  /** The test database's connection (t.db). */
  readonly db: Kysely<Database>;
  readonly p: TestPipeline;
  readonly api: TestApi;
  /**
   * What set-up got to start, never throwing: for a file's own afterAll, which runs before the
   * helper's teardown and must not fail on what set-up did not reach (a throwing afterAll would
   * keep the teardown from running).
   */
  readonly started: { readonly t?: TestDatabase; readonly p?: TestPipeline; readonly api?: TestApi };
}

/**
 * Registers the vitest hooks of a test file's (or a describe block's) services: a fresh database,
 * then optionally a pipeline (client, task queue, worker) and the API on both, then `seed`. The
 * teardown runs in reverse (API, pipeline, database), each step tried even when an earlier one
 * failed, and only for what set-up got to start. Call it where the hooks belong (file or describe
 * level); hooks the file registers after it run after it in beforeAll and before its teardown.
 */
export function useTestServices(label: string, options: TestServicesOptions = {}): TestServices {
  if (options.api && !options.pipeline) throw new Error(`useTestServices('${label}'): the API needs a pipeline (pipeline: true or { worker: false })`);
  let t: TestDatabase | undefined;
  let p: TestPipeline | undefined;
  let api: TestApi | undefined;

  const ready = <T>(value: T | undefined, what: string, wanted = true): T => {
    if (!wanted) throw new Error(`useTestServices('${label}') was not asked for ${what}`);
    if (value === undefined) throw new Error(`useTestServices('${label}'): ${what} is not set up (yet): read it in a hook or test, after the helper's beforeAll ran`);
    return value;
  };
  const services: TestServices = {
    get t() {
      return ready(t, 'the database');
    },
    get db() {
      return ready(t, 'the database').db;
    },
    get p() {
      return ready(p, 'a pipeline', !!options.pipeline);
    },
    get api() {
      return ready(api, 'the API', !!options.api);
    },
    get started() {
      return { t, p, api };
    },
  };

  beforeAll(async () => {
    t = await createTestDatabase(label, options.migrateTo === undefined ? {} : { migrateTo: options.migrateTo });
    if (options.pipeline) {
      const { worker, env } = options.pipeline === true ? { worker: undefined, env: undefined } : options.pipeline;
      p = await startTestPipeline(env ? { ...t, env: { ...t.env, ...env } } : t, label, worker === undefined ? {} : { worker });
    }
    if (options.api && p) {
      const config = options.api === true ? undefined : options.api.config;
      api = await startTestApi(t, config ? { ...p, config: { ...p.config, ...config } } : p);
    }
    await options.seed?.(services);
  });

  afterAll(async () => {
    const failures: unknown[] = [];
    const step = async (stop: (() => Promise<void>) | undefined) => {
      try {
        await stop?.();
      } catch (error) {
        failures.push(error);
      }
    };
    await step(api && (() => api!.close()));
    await step(p && (() => p!.stop()));
    await step(t && (() => t!.drop()));
    api = p = t = undefined;
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, `useTestServices('${label}'): ${failures.length} teardown steps failed`);
  });

  return services;
}
