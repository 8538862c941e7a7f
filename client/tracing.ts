import { createRequire } from 'node:module';
import type { ClientInterceptors } from '@temporalio/client';
import type { OpenTelemetryWorkflowClientInterceptor as ClientInterceptorClass } from '@temporalio/interceptors-opentelemetry/lib/client';
import { startTracing } from '../common/tracing';
import type { Config } from '../config/env';

// Loaded only with tracing on, as the SDK is (common/tracing.ts).
const require = createRequire(import.meta.url);

/**
 * The client's interceptors: none unless tracing is on. With it, starting (signalling, querying…) a
 * workflow is a span whose context travels to the workflow in its headers, so the worker's spans
 * join the caller's trace.
 */
export function clientInterceptorsFor(config: Config): ClientInterceptors | undefined {
  const tracing = startTracing(config);
  if (!tracing) return undefined;
  const { OpenTelemetryWorkflowClientInterceptor } = require('@temporalio/interceptors-opentelemetry/lib/client') as { OpenTelemetryWorkflowClientInterceptor: typeof ClientInterceptorClass };
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer: tracing.provider.getTracer('@temporalio/interceptor-client') })] };
}
