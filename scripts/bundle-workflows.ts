import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_TRACING_INTERCEPTORS } from '../workers/tracing';

const require = createRequire(import.meta.url);

/** Bundles the workflows once, so many workers (tests, benchmarks) start without re-bundling. */
export async function bundleWorkflows(outputPath: string): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows/index.ts'),
    // Always in: tracing is switched on where a worker runs, after the bundle was made. With it off
    // the worker discards the workflows' spans (workers/tracing.ts).
    workflowInterceptorModules: [WORKFLOW_TRACING_INTERCEPTORS],
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  await mkdir(path.dirname(outputPath), { recursive: true });
  await writeFile(outputPath, code);
  return outputPath;
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const out = process.argv[2] ?? path.resolve('.data/workflow-bundle.js');
  await bundleWorkflows(out);
  console.log(out);
}
