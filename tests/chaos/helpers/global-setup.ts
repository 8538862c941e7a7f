import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../../config/env';
import { prepareServices } from '../../helpers/global-setup';
import { assertChaosTargets, CHAOS_ENV } from './chaos-env';
import { formatReportTable } from './report';
import { chaosServices } from './services';

declare module 'vitest' {
  export interface ProvidedContext {
    chaosReportPath: string;
  }
}

/**
 * Brings up the chaos suite's own MariaDB and Temporal dev server (scripts/services.sh with the chaos
 * data dir and ports), registers the search attributes, bundles the workflows once, and after the
 * last file prints every scenario's line as one table.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  Object.assign(process.env, CHAOS_ENV);
  assertChaosTargets(process.env);
  await chaosServices('up');
  await forgetEarlierRuns(CHAOS_ENV.ECGFLOW_DATA_DIR);
  const bundlePath = await prepareServices(project, 'chaos-workflow-bundle');
  const config = loadConfig();
  const reportPath = path.join(config.ECGFLOW_DATA_DIR, `chaos-report-${process.pid}-${Date.now()}.jsonl`);
  project.provide('chaosReportPath', reportPath);
  const started = Date.now();
  return async () => {
    console.log(`\nchaos scenarios (${((Date.now() - started) / 1000).toFixed(0)} s)\n${formatReportTable(reportPath)}\n`);
    await rm(bundlePath, { force: true });
  };
}

/** The worker and API logs, reports and bundles of earlier runs: this run's logs should be the only ones to read. */
async function forgetEarlierRuns(dataDir: string): Promise<void> {
  const logs = path.join(dataDir, 'logs');
  for (const name of await readdir(logs)) {
    if (/^(worker|api)-.*\.log$/.test(name)) await rm(path.join(logs, name), { force: true });
  }
  for (const name of await readdir(dataDir)) {
    if (/^chaos-(report|workflow-bundle)-.*/.test(name)) await rm(path.join(dataDir, name), { force: true });
  }
}
