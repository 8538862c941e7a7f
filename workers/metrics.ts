import http from 'node:http';
import net from 'node:net';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PipelineMetrics } from '../activities/metrics';

/**
 * The worker's Prometheus metrics: the pipeline's counters and the Node process's metrics in a
 * prom-client Registry of its own, and the Temporal SDK's metrics, which its native core exports
 * on an internal loopback port. One `/metrics` serves them concatenated, so one scrape target
 * holds all three. Labels stay few: model kind on the training epochs, nothing else.
 */
export class WorkerMetrics implements PipelineMetrics {
  readonly registry = new Registry();
  private readonly beats = new Counter({ name: 'ecgflow_worker_beats_scored_total', help: 'Beats scored and written by scoreChunk', registers: [this.registry] });
  private readonly chunks = new Histogram({
    name: 'ecgflow_worker_chunk_seconds',
    help: 'Wall time of one scoreChunk attempt',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  private readonly epochs = new Counter({ name: 'ecgflow_worker_training_epochs_total', help: 'Epochs trained by trainCandidate, by model kind', labelNames: ['kind'], registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  beatsScored(count: number): void {
    this.beats.inc(count);
  }

  chunkSeconds(seconds: number): void {
    this.chunks.observe(seconds);
  }

  trainingEpochs(kind: string, epochs: number): void {
    this.epochs.inc({ kind }, epochs);
  }
}

export interface MetricsServerOptions {
  host: string;
  port: number;
  metrics: WorkerMetrics;
  /** The SDK core's Prometheus exporter, e.g. http://127.0.0.1:41234/metrics; absent when off. */
  sdkMetricsUrl?: string;
  /** Whether the worker polls its task queue (readiness). */
  ready: () => boolean;
  onError?: (error: unknown) => void;
}

/**
 * GET /metrics (pipeline + process + SDK), /healthz (the process answers) and /readyz (200 once the
 * worker runs, 503 before and while it shuts down) for Prometheus and Kubernetes probes.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<{ server: http.Server; port: number; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'text/plain', 'method not allowed\n');
    if (url.pathname === '/healthz') return send(response, 200, 'text/plain', 'ok\n');
    if (url.pathname === '/readyz') return options.ready() ? send(response, 200, 'text/plain', 'ready\n') : send(response, 503, 'text/plain', 'not ready\n');
    if (url.pathname !== '/metrics') return send(response, 404, 'text/plain', 'not found\n');
    scrape(options).then(
      (text) => send(response, 200, options.metrics.registry.contentType, text),
      (error: unknown) => {
        options.onError?.(error);
        send(response, 500, 'text/plain', 'metrics failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function scrape(options: MetricsServerOptions): Promise<string> {
  const own = await options.metrics.registry.metrics();
  if (!options.sdkMetricsUrl) return own;
  try {
    const response = await fetch(options.sdkMetricsUrl, { signal: AbortSignal.timeout(2000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const sdk = await response.text();
    return `${own.endsWith('\n') ? own : `${own}\n`}${sdk}`;
  } catch (error) {
    options.onError?.(error);
    // The pipeline's and the process's metrics still count when the SDK's exporter does not answer.
    return `${own}\n# Temporal SDK metrics unavailable: ${(error as Error).message.replace(/\s+/g, ' ')}\n`;
  }
}

function send(response: http.ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  response.end(body);
}

/** A loopback port free right now, for the SDK core's exporter (which cannot report the port it bound). */
export async function freeLoopbackPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
