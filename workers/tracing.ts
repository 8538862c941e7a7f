import { createRequire } from 'node:module';
import type { OpenTelemetryPlugin as OpenTelemetryPluginClass, OpenTelemetryWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import type { InjectedSinks, WorkerOptions } from '@temporalio/worker';
import { startTracing } from '../common/tracing';
import type { Config } from '../config/env';

// Loaded only with tracing on, as the SDK is (common/tracing.ts).
const require = createRequire(import.meta.url);

/**
 * The workflow half of the tracing interceptors, which runs inside the workflow sandbox. The prebuilt
 * workflow bundle always holds it (scripts/bundle-workflows.ts), since tracing is switched on where
 * the worker runs, after the bundle was made.
 */
export const WORKFLOW_TRACING_INTERCEPTORS = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

/**
 * With tracing off a prebuilt bundle's interceptors still hand their spans to the `exporter` sink:
 * this one drops them, where a missing sink would log an error at every workflow task.
 */
export const DISCARD_WORKFLOW_SPANS: InjectedSinks<{ exporter: OpenTelemetryWorkflowExporter }> = {
  exporter: { export: { fn: () => {} } },
};

/**
 * The worker's tracing: with tracing on, the OpenTelemetry plugin (workflow, activity and client
 * interceptors, and the sink that exports the workflows' spans through this process's provider);
 * off, no interceptors and only the sink that discards.
 */
export function workerTracingOptions(config: Config): Pick<WorkerOptions, 'interceptors' | 'sinks' | 'plugins'> {
  const tracing = startTracing(config, 'ecgflow-worker');
  if (!tracing) return { sinks: DISCARD_WORKFLOW_SPANS };
  const { OpenTelemetryPlugin } = require('@temporalio/interceptors-opentelemetry') as { OpenTelemetryPlugin: typeof OpenTelemetryPluginClass };
  // The plugin adds the workflow interceptors to a bundle made at start-up, and leaves a prebuilt one as it is.
  return {
    plugins: [
      new OpenTelemetryPlugin({
        resource: tracing.resource,
        spanProcessor: tracing.spanProcessor,
        tracer: tracing.provider.getTracer('@temporalio/interceptor-worker'),
      }),
    ],
  };
}
