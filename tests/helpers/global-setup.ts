import path from 'node:path';
import { sql } from 'kysely';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../config/env';
import { createDb } from '../../db/connect';
import { bundleWorkflows } from '../../scripts/bundle-workflows';
import { connectClient } from '../../client/connection';
import { ensureSearchAttributes } from '../../client/search-attributes';

declare module 'vitest' {
  export interface ProvidedContext {
    workflowBundlePath: string;
  }
}

/**
 * Fails the run early, with one clear line, when the real services are not up, and bundles the
 * workflows once for every test worker.
 */
export default async function setup(project: TestProject): Promise<void> {
  await prepareServices(project, 'test-workflow-bundle');
}

/**
 * What every suite needs before its first test: MariaDB answering, the search attributes the
 * workflows set registered, and the workflows bundled once. Returns the bundle's path.
 */
export async function prepareServices(project: TestProject, bundleName: string): Promise<string> {
  const config = loadConfig();
  const db = createDb(config.mysql);
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    throw new Error(
      `MariaDB is not reachable at ${config.mysql.host}:${config.mysql.port} (${(error as Error).message}); run scripts/services.sh up`,
    );
  } finally {
    await db.destroy();
  }
  // Every workflow sets search attributes; the server must know them before any test runs one.
  const client = await connectClient(config);
  try {
    await ensureSearchAttributes(client, config.TEMPORAL_NAMESPACE);
  } finally {
    await client.connection.close();
  }
  const bundlePath = await bundleWorkflows(path.join(config.ECGFLOW_DATA_DIR, `${bundleName}-${process.pid}.js`));
  project.provide('workflowBundlePath', bundlePath);
  return bundlePath;
}
