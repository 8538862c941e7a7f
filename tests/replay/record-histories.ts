/**
 * Records real event histories of every workflow type, for tests/workflows/replay.test.ts to replay with
 * the SDK's replayer: runs that live for days (an approval wait) must keep replaying on the code
 * a later deploy brings. Runs each scenario on the real Temporal server and MariaDB, on a scratch
 * database, and writes tests/replay/histories/<set>/<name>.json.
 *
 *   node --import tsx tests/replay/record-histories.ts <set>
 *
 * A new set is recorded when the workflows change shape; older sets stay, so their runs keep
 * replaying (with patched() where the command order changed).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { connectClient } from '../../client/connection';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createRequire } from 'node:module';
import { loadConfig } from '../../config/env';
import { decideRetrain, startPromotion, startRetrain, startRollback } from '../../client/registry';
import { startDriftDetection, startScoring, startTraining } from '../../client/pipelines';
import { ensureSearchAttributes } from '../../client/search-attributes';
import { retrainStatusQuery } from '../../workflows/retrain';
import { readEcg5000 } from '../helpers/data/ecg5000';
import { ingestFile } from '../../ingest/ingest';
import { initTensorFlow } from '../../ml/tf/backend';
import { scaleAmplitude } from '../helpers/data/drift-simulate';
import { rowView, selectRows, type BeatMatrix } from '../../ml/matrix';
import { isTestKey } from '../../ml/split';
import { createActivities } from '../../workers/activities';
import { createTestDatabase } from '../helpers/db';
import { makeTempDir, tutorialLine, unlabelledLine, writeLines } from '../helpers/fixtures';

const require = createRequire(import.meta.url);
const run = promisify(execFile);
const DAY = { train: '2026-05-01', heldOut: '2026-05-10', drifted: '2026-05-11' };
const FAST = { candidates: 'baseline', epochs: 3 } as const;
const LOW_GATES = { minRocAuc: 0.5, minAccuracy: 0.5, maxRegression: 0.5 };
/** Activities whose first attempt fails, so the histories hold a retry. */
const FAIL_FIRST_ATTEMPT = new Set(['checkTagAvailable', 'resolveModel']);

async function main(): Promise<void> {
  const set = process.argv[2];
  if (!set || !/^[a-z0-9-]+$/.test(set)) throw new Error('usage: record-histories.ts <set-name> (lowercase letters, digits, dashes)');
  const out = path.join(import.meta.dirname, 'histories', set);
  await mkdir(out, { recursive: true });

  const config = loadConfig();
  const t = await createTestDatabase('record');
  const tmp = await makeTempDir('record');
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const client = await connectClient(config);
  const connection = client.connection;
  await ensureSearchAttributes(client, config.TEMPORAL_NAMESPACE);
  const suffix = Date.now().toString(36);
  const taskQueue = `record-${suffix}`;
  const workerConfig = loadConfig({ ...process.env, ...t.env, ECGFLOW_TASK_QUEUE: taskQueue });
  const { tf, backend } = await initTensorFlow('wasm');
  const workerConnection = await NativeConnection.connect(config.temporal.connection);
  const worker = await Worker.create({
    connection: workerConnection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue,
    workflowsPath: require.resolve('../../workflows/index.ts'),
    activities: failingFirstAttempt(createActivities({ db: t.db, tf, backend })),
    maxConcurrentActivityTaskExecutions: 2,
  });
  const running = worker.run();
  const tag = (name: string) => `rec-${name}-${suffix}`;
  // The Temporal CLI writes the protobuf JSON that the SDK's replayer reads (historyFromJSON).
  const save = async (name: string, handle: WorkflowHandle, runId?: string) => {
    const args = ['workflow', 'show', '--address', config.TEMPORAL_ADDRESS, '--namespace', config.TEMPORAL_NAMESPACE, '-w', handle.workflowId, '--output', 'json'];
    const { stdout } = await run('temporal', runId ? [...args, '-r', runId] : args, { maxBuffer: 64 * 1024 * 1024 });
    const history = JSON.parse(stdout) as { events: unknown[] };
    await writeFile(path.join(out, `${name}.json`), JSON.stringify(history, null, 1) + '\n');
    console.log(`recorded ${name} (${history.events.length} events)`);
  };

  try {
    await seed(t.db, tmp);
    const trained = await startTraining(client, workerConfig, { tag: tag('a'), from: DAY.train, to: DAY.train, ...FAST });
    await trained.result();
    await save('trainModel', trained);

    const promoted = await startPromotion(client, workerConfig, { tag: tag('a'), to: 'production', reason: 'first model', by: 'recorder', gates: LOW_GATES });
    await promoted.result();
    await save('promoteModel', promoted);

    const scored = await startScoring(client, workerConfig, { date: DAY.heldOut, modelTag: tag('a'), chunkSize: 400, chunksPerRun: 2 });
    await scored.handle.result();
    await save('scoreBatch-continued', scored.handle, scored.handle.firstExecutionRunId);
    await save('scoreBatch-last', scored.handle);

    const drift = await startDriftDetection(client, workerConfig, { date: DAY.drifted, modelTag: tag('a') });
    await drift.handle.result();
    await save('detectDrift', drift.handle);

    const retrain = await startRetrain(client, workerConfig, { tag: tag('b'), to: DAY.train, training: FAST, gates: LOW_GATES, requireApproval: true, requestedBy: 'recorder' });
    await waitFor(async () => (await retrain.query(retrainStatusQuery).catch(() => null))?.phase === 'awaiting-approval');
    await decideRetrain(client, { approve: true, tag: tag('b'), by: 'approver', reason: 'looks right' });
    await retrain.result();
    await save('retrain-approved', retrain);

    const rollback = await startRollback(client, workerConfig, { currentTag: tag('b'), reason: 'recorded rollback', by: 'recorder' });
    await rollback.result();
    await save('rollbackModel', rollback);

    const daily = await client.workflow.start('dailyPipeline', {
      taskQueue,
      workflowId: `daily-${suffix}`,
      args: [{ date: DAY.drifted, autoRetrain: true, challengerTagPrefix: `rec-auto-${suffix}`, retrain: { from: DAY.train, training: FAST, gates: LOW_GATES } }],
    });
    await daily.result();
    await save('dailyPipeline-retrain', daily);
    // The day's retraining runs detached from it; wait for it to finish on its own.
    const detached = client.workflow.getHandle(`retrain-rec-auto-${suffix}-${DAY.drifted}`);
    await detached.result();
    await save('retrain-of-daily', detached);

    // As a Schedule starts it: no date, so the day is counted back from the start in the schedule's zone.
    const scheduled = await client.workflow.start('dailyPipeline', { taskQueue, workflowId: `daily-zoned-${suffix}`, args: [{ timeZone: 'Pacific/Kiritimati' }] });
    await scheduled.result();
    await save('dailyPipeline-zoned', scheduled);
  } finally {
    worker.shutdown();
    await running;
    await workerConnection.close();
    await connection.close();
    await t.drop();
    await tmp.remove();
  }
}

async function seed(db: Parameters<typeof ingestFile>[0], tmp: Awaited<ReturnType<typeof makeTempDir>>): Promise<void> {
  const data = readEcg5000();
  const heldOutRow = data.keys.map((key) => isTestKey(key, 0.25, 7));
  const window = selectRows(data, (r) => !heldOutRow[r]);
  const heldOut = selectRows(data, (r) => heldOutRow[r]!);
  const ingest = async (name: string, day: string, beats: BeatMatrix, labels?: Uint8Array) => {
    const lines = Array.from({ length: beats.count }, (_, r) => {
      const samples = [...rowView(beats, r)];
      return labels ? tutorialLine(samples, labels[r] === 0) : unlabelledLine(samples);
    });
    await ingestFile(db, { path: await writeLines(tmp.file(`${name}.csv`), lines), recordedOn: day });
  };
  await ingest('window', DAY.train, window, data.isAnomalous.filter((_, r) => !heldOutRow[r]));
  await ingest('held-out', DAY.heldOut, heldOut, data.isAnomalous.filter((_, r) => heldOutRow[r]));
  await ingest('drifted', DAY.drifted, scaleAmplitude(heldOut, 1.3));
}

function failingFirstAttempt<T extends Record<string, (...args: never[]) => unknown>>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = FAIL_FIRST_ATTEMPT.has(name)
      ? (...args: never[]) => {
          if (Context.current().info.attempt === 1) throw ApplicationFailure.retryable(`recorded retry of ${name}`, 'RecordedRetry');
          return fn(...args);
        }
      : fn;
  }
  return wrapped as T;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 300_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting for the retraining to await approval');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

await main();
