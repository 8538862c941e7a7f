import { createRequire } from 'node:module';
import type { OTLPTraceExporter as OTLPTraceExporterClass } from '@opentelemetry/exporter-trace-otlp-http';
import type { Resource as ResourceClass } from '@opentelemetry/resources';
import type { BatchSpanProcessor as BatchSpanProcessorClass, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { NodeTracerProvider as NodeTracerProviderClass } from '@opentelemetry/sdk-trace-node';
import type { Config } from '../config/env';

// The OpenTelemetry SDK loads only when tracing is on: a quarter of a second of start-up that a
// CLI command with tracing off should not pay.
const require = createRequire(import.meta.url);

/** The service.name of a process that does not name itself (the CLI; a test process). */
export const DEFAULT_SERVICE_NAME = 'ecgflow-cli';

type TracingSettings = Pick<Config, 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' | 'OTEL_SERVICE_NAME'>;

/** This process's tracer provider and what the workflow span sink needs of it. */
export interface ProcessTracing {
  tracesUrl: string;
  serviceName: string;
  resource: ResourceClass;
  /** Spans of workflows (made in the workflow sandbox, handed out through a sink) end here too. */
  spanProcessor: SpanProcessor;
  provider: NodeTracerProviderClass;
}

let current: ProcessTracing | undefined;

/** Where spans are sent, by the OpenTelemetry rules: the traces URL as given, else the endpoint's /v1/traces; undefined = tracing off. */
export function tracesUrlOf(config: TracingSettings): string | undefined {
  if (config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (!config.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  return `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Starts this process's one tracer provider (batched OTLP/HTTP export) and registers it globally,
 * or returns the one already started; undefined when tracing is off. The worker and the API call it
 * first thing with their own default name; anything else started later (clients) joins it.
 */
export function startTracing(config: TracingSettings, defaultServiceName = DEFAULT_SERVICE_NAME): ProcessTracing | undefined {
  const tracesUrl = tracesUrlOf(config);
  if (!tracesUrl) return undefined;
  if (current) {
    if (current.tracesUrl !== tracesUrl) {
      throw new Error(`tracing: this process already sends its spans to ${current.tracesUrl}; one process has one trace endpoint (OTEL_EXPORTER_OTLP_ENDPOINT), not also ${tracesUrl}`);
    }
    return current;
  }
  const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node') as { NodeTracerProvider: typeof NodeTracerProviderClass };
  const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base') as { BatchSpanProcessor: typeof BatchSpanProcessorClass };
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as { OTLPTraceExporter: typeof OTLPTraceExporterClass };
  const { Resource } = require('@opentelemetry/resources') as { Resource: typeof ResourceClass };
  const serviceName = config.OTEL_SERVICE_NAME ?? defaultServiceName;
  // The SDK's own attributes too, so the workflows' spans (the sink gives them this resource) match the rest.
  const resource = new Resource({ ...Resource.default().attributes, 'service.name': serviceName });
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  current = { tracesUrl, serviceName, resource, spanProcessor, provider };
  return current;
}

/** Sends the spans still buffered and stops the provider; a process calls it as it ends (nothing to do when tracing is off). */
export async function shutdownTracing(): Promise<void> {
  const tracing = current;
  current = undefined;
  if (!tracing) return;
  await tracing.provider.shutdown();
  // register() set the global provider, context manager and propagator, which may be set only once:
  // clearing them lets a later startTracing in this process (a test's second run) register anew.
  const api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  api.trace.disable();
  api.context.disable();
  api.propagation.disable();
}
