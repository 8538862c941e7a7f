import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScoring, startTraining } from '../../client/pipelines';
import { ingestFile } from '../../ingest/ingest';
import { ecg5000Paths } from '../helpers/ecg-data';
import { CLI, killHard } from '../helpers/processes';
import { useTestServices } from '../helpers/lifecycle';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The value of one sample line (`name{labels} value`) of a Prometheus text exposition. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

type LogLine = Record<string, unknown>;

describe('the worker process: Prometheus /metrics, probes and JSON logs', () => {
  const s = useTestServices('wmetrics', { pipeline: { worker: false } });
  let worker: ChildProcess;
  let port: number;
  let output = '';
  const base = () => `http://127.0.0.1:${port}`;

  beforeAll(async () => {
    await ingestFile(s.db, { path: ecg5000Paths().csv, recordedOn: '2026-03-01' });
    // The work runs only in the worker process below, whose metrics and logs the tests read.
    port = await freePort();
    worker = spawn(process.execPath, [CLI, 'worker'], {
      env: { ...process.env, ...s.p.env, ECGFLOW_WORKER_METRICS_PORT: String(port), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker did not start in 60 s:\n${output}`)), 60_000);
      worker.stderr!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('worker ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      worker.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`worker exited with ${code} before it was ready:\n${output}`));
      });
    });
  });
  afterAll(async () => {
    if (worker) await killHard(worker);
  });

  it('answers the liveness and readiness probes on its metrics port', async () => {
    expect((await fetch(`${base()}/healthz`)).status).toBe(200);
    let ready = 0;
    for (let i = 0; i < 40 && ready !== 200; i++) {
      ready = (await fetch(`${base()}/readyz`)).status;
      if (ready !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(ready).toBe(200);
    expect((await fetch(`${base()}/nothing`)).status).toBe(404);
  });

  it('exports the SDK, pipeline and process metrics on one /metrics, and logs every activity line as JSON with its run', async () => {
    const training = await startTraining(s.p.client, s.p.config, { tag: s.p.tag('m'), epochs: 2, candidates: 'baseline' });
    await training.result();
    const { handle } = await startScoring(s.p.client, s.p.config, { date: '2026-03-01', modelTag: s.p.tag('m'), chunkSize: 1000 });
    const scored = await handle.result();
    expect(scored.scored).toBeGreaterThan(3000);

    const response = await fetch(`${base()}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    // The pipeline's own counters: exactly the beats this worker scored, the 2 epochs it trained.
    expect(sample(text, 'ecgflow_worker_beats_scored_total')).toBe(scored.scored);
    expect(sample(text, 'ecgflow_worker_training_epochs_total{kind="dense-autoencoder"}')).toBe(2);
    // One observation per scoreChunk attempt: as many as the workflow's history scheduled.
    const history = await handle.fetchHistory();
    const chunkActivities = history.events?.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'scoreChunk').length ?? 0;
    expect(chunkActivities).toBeGreaterThan(0);
    const observedChunks = sample(text, 'ecgflow_worker_chunk_seconds_count');
    expect(observedChunks).toBeGreaterThan(0);
    expect(observedChunks).toBeLessThanOrEqual(chunkActivities);
    expect(text).toMatch(/^ecgflow_worker_chunk_seconds_bucket\{le="\+Inf"\} \d+$/m);
    // The process's, from prom-client's default collectors.
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    // The SDK's, from its native core's exporter, labelled with this worker's task queue.
    expect(text).toMatch(new RegExp(`^temporal_activity_execution_latency_count\\{[^}]*activity_type="scoreChunk"[^}]*task_queue="${s.p.taskQueue}"[^}]*\\} \\d+`, 'm'));
    expect(text).toMatch(/^temporal_worker_task_slots_available\{/m);
    // One exposition: no metric family is declared twice.
    const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(new Set(types).size).toBe(types.length);

    // Every log line is one JSON object; the activities' lines name their workflow, run and activity.
    // The worker's stderr reaches this process a little after the work it reports on.
    const linesSaying = (msg: string) => output.split('\n').filter((l) => l.includes(`"msg":"${msg}"`)).length;
    await expect.poll(() => linesSaying('scored chunk'), { timeout: 10_000, interval: 100 }).toBe(observedChunks);
    await expect.poll(() => linesSaying('trained candidate'), { timeout: 10_000, interval: 100 }).toBeGreaterThan(0);
    // Whole lines only: the worker may be writing another one right now.
    const lines = output.slice(0, output.lastIndexOf('\n')).split('\n').filter((l) => l.trim() !== '');
    const logs = lines.map((l) => JSON.parse(l) as LogLine);
    const chunks = logs.filter((l) => l.msg === 'scored chunk');
    // A log line for every chunk the histogram saw, and together they wrote every scored beat.
    expect(chunks.length).toBe(observedChunks);
    for (const line of chunks) {
      expect(line).toMatchObject({ workflowId: handle.workflowId, activityType: 'scoreChunk', level: 30 });
      expect(line.runId).toEqual(expect.any(String));
      expect(line.rowsRead).toBe(line.rowsScored);
      expect(line.rowsWritten).toBe(line.rowsScored);
    }
    expect(chunks.reduce((n, l) => n + (l.rowsWritten as number), 0)).toBe(scored.scored);
    const trained = logs.find((l) => l.msg === 'trained candidate');
    expect(trained).toMatchObject({ workflowId: training.workflowId, activityType: 'trainCandidate', runId: training.firstExecutionRunId, status: 'trained', epochs: 2, rowsWritten: 1 });
    expect(trained!.rowsRead).toBeGreaterThan(0);
    // The SDK's own activity lines (start, completion) carry the same fields.
    const sdkLines = logs.filter((l) => l.sdkComponent === 'activity' && l.activityType === 'scoreChunk');
    expect(sdkLines.length).toBeGreaterThan(0);
    for (const line of sdkLines) expect(line).toMatchObject({ workflowId: handle.workflowId, runId: expect.any(String) });
  });
});
