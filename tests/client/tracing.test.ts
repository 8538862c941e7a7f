import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import type { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogEntry } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectClient } from '../../client/connection';
import { clientInterceptorsFor } from '../../client/tracing';
import { shutdownTracing, tracesUrlOf } from '../../common/tracing';
import { loadConfig, type Config } from '../../config/env';
import { initTensorFlow, type TensorFlow } from '../../ml/tf/backend';
import { workerTracingOptions } from '../../workers/tracing';
import { createPipelineWorker } from '../../workers/worker';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { killHard, spawnWorker } from '../helpers/processes';

// A real workflow (archiveHistories: one short activity on an empty audit trail) runs end to end on
// the real Temporal server, and its spans go over OTLP/HTTP to a receiver inside this test.

interface ReceivedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  serviceName?: string;
}

/** A stand-in OpenTelemetry collector: keeps every POST /v1/traces (the http exporter sends OTLP JSON). */
async function startOtlpReceiver() {
  const requests: { path: string; contentType?: string; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', contentType: req.headers['content-type'], body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    spans(): ReceivedSpan[] {
      return requests.flatMap((r) => {
        const payload = JSON.parse(r.body) as {
          resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: ReceivedSpan[] }[] }[];
        };
        return payload.resourceSpans.flatMap((rs) => {
          const serviceName = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
          return rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => ({ name: s.name, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId, serviceName })));
        });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('traces over OTLP: off by default, on with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  const suffix = randomBytes(4).toString('hex');
  const workerLogs: LogEntry[] = [];
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let t: TestDatabase;
  let tf: { tf: TensorFlow; backend: string };
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    t = await createTestDatabase('tracing');
    tf = await initTensorFlow('wasm');
    // The workers' own log, to see that neither setting makes them complain (e.g. of a missing sink).
    Runtime.install({ logger: new DefaultLogger('WARN', (entry) => workerLogs.push(entry)) });
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await shutdownTracing();
    await t?.drop();
    await receiver?.close();
  });

  /** The test database and a task queue of its own; OTEL_* from the caller only (never from the shell). */
  function configWith(label: string, tracing: Record<string, string>): Config {
    const env: NodeJS.ProcessEnv = { ...process.env, ...t.env, ECGFLOW_TASK_QUEUE: `test-tracing-${label}-${suffix}`, ECGFLOW_WORKFLOW_BUNDLE: inject('workflowBundlePath') };
    for (const key of Object.keys(env)) if (key.startsWith('OTEL_')) delete env[key];
    return loadConfig({ ...env, ...tracing });
  }

  /** A worker in this process; the function it returns stops it and waits until it has (the cleanup does too). */
  async function startWorker(config: Config): Promise<() => Promise<void>> {
    const connection = await NativeConnection.connect(config.temporal.connection);
    const worker = await createPipelineWorker({ connection, config, taskQueue: config.ECGFLOW_TASK_QUEUE, db: t.db, tf: tf.tf, backend: tf.backend, workflowBundlePath: config.ECGFLOW_WORKFLOW_BUNDLE });
    const running = worker.run();
    let stopped: Promise<void> | undefined;
    const stop = () =>
      (stopped ??= (async () => {
        worker.shutdown();
        await running;
        await connection.close();
      })());
    cleanups.push(stop);
    return stop;
  }

  async function archiveOnce(client: Client, config: Config, id: string): Promise<void> {
    await client.workflow.execute('archiveHistories', { taskQueue: config.ECGFLOW_TASK_QUEUE, workflowId: `${id}-${suffix}`, args: [{ batchSize: 10, maxBatches: 1 }], workflowExecutionTimeout: '1 minute' });
  }

  const problemsLogged = () => workerLogs.filter((e) => e.level === 'ERROR' || e.level === 'WARN').map((e) => e.message);

  it('refuses an endpoint that is not an http(s) URL, naming the setting', () => {
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: '127.0.0.1:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT: an http:\/\/ or https:\/\/ URL/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://collector:4317' })).toThrow(/OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: an http/);
    expect(tracesUrlOf(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }))).toBe('http://collector:4318/v1/traces');
    expect(tracesUrlOf(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/otlp/traces' }))).toBe('https://b/otlp/traces');
    expect(tracesUrlOf(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }))).toBeUndefined();
  });

  it('is off by default: no interceptors, no SDK, nothing sent, and the bundled workflow interceptors complain of nothing', async () => {
    const config = configWith('off', {});
    expect(clientInterceptorsFor(config)).toBeUndefined();
    const options = workerTracingOptions(config);
    expect(options.interceptors).toBeUndefined();
    expect(options.plugins).toBeUndefined();

    const client = await connectClient(config);
    cleanups.push(() => client.connection.close());
    await startWorker(config);
    await archiveOnce(client, config, 'tracing-off');
    // No tracer provider was registered: spans made anywhere in this process record nothing.
    expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
    expect(receiver.requests).toEqual([]);
    expect(problemsLogged()).toEqual([]);
    // Only the sink that drops the spans of the prebuilt bundle's workflow interceptors.
    expect(Object.keys(options.sinks ?? {})).toEqual(['exporter']);
  });

  it('on: the client start, the workflow run and its activity are spans of one trace, sent with the service name', async () => {
    const serviceName = `ecgflow-tracing-test-${suffix}`;
    workerLogs.length = 0;
    const config = configWith('on', { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_SERVICE_NAME: serviceName });
    const client = await connectClient(config);
    cleanups.push(() => client.connection.close());
    const stopWorker = await startWorker(config);
    await archiveOnce(client, config, 'tracing-on');
    await stopWorker();
    // Flushes the batch, as a process does when it ends.
    await shutdownTracing();

    expect(receiver.requests.length).toBeGreaterThan(0);
    expect(receiver.requests.every((r) => r.path === '/v1/traces' && r.contentType === 'application/json')).toBe(true);
    const spans = receiver.spans();
    const named = (name: string) => {
      const span = spans.find((s) => s.name === name);
      expect(span, `a span named ${name} among ${spans.map((s) => s.name).join(', ')}`).toBeDefined();
      return span!;
    };
    const start = named('StartWorkflow:archiveHistories');
    const run = named('RunWorkflow:archiveHistories');
    const activity = named('RunActivity:archiveClosedHistories');
    expect(run.traceId).toBe(start.traceId);
    expect(activity.traceId).toBe(start.traceId);
    expect(run.parentSpanId).toBe(start.spanId);
    expect(new Set([start, run, activity].map((s) => s.serviceName))).toEqual(new Set([serviceName]));
    expect(problemsLogged()).toEqual([]);
  });

  it('the worker process names itself ecgflow-worker and sends its last spans as it stops', async () => {
    receiver.requests.length = 0;
    const config = configWith('process', {});
    const client = await connectClient(config);
    cleanups.push(() => client.connection.close());
    // A batch that would wait a minute: only the flush at exit can deliver it in time.
    const child = await spawnWorker({ ...t.env, ECGFLOW_TASK_QUEUE: config.ECGFLOW_TASK_QUEUE, ECGFLOW_WORKFLOW_BUNDLE: inject('workflowBundlePath'), OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_SERVICE_NAME: '', OTEL_BSP_SCHEDULE_DELAY: '60000' });
    cleanups.push(() => killHard(child));
    await archiveOnce(client, config, 'tracing-process');
    expect(receiver.requests).toEqual([]);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const spans = receiver.spans();
    expect(spans.map((s) => s.name)).toEqual(expect.arrayContaining(['RunWorkflow:archiveHistories', 'RunActivity:archiveClosedHistories']));
    expect(new Set(spans.map((s) => s.serviceName))).toEqual(new Set(['ecgflow-worker']));
  });
});
