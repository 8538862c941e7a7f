// The cost of leaving TensorFlow's microtask loop for the event loop inside an epoch (issue 11
// item 5): one epoch on ECG5000 with no batch callback, with the training activity's heartbeats
// unthrottled (a heartbeat and a setImmediate after every batch) and throttled as in production.
// Not a test: it prints the fastest of each, wall and CPU time (CPU time is the steadier figure
// on a machine busy with other work), and what a bare yield costs beside a batch.
//   node --import tsx bench/batch-yield.ts [batchSize=16] [rounds=5] [kind=autoencoder|classifier]
import { trainingHeartbeats } from '../activities/training-heartbeat';
import { readEcg5000 } from '../tests/helpers/data/ecg5000';
import { trainAutoencoder } from '../ml/tf/autoencoder';
import { initTensorFlow } from '../ml/tf/backend';
import { trainClassifier } from '../ml/tf/classifier';
import type { TrainingCallbacks } from '../ml/tf/training-progress';

const batchSize = Number(process.argv[2] ?? 16);
const rounds = Number(process.argv[3] ?? 5);
const kind = process.argv[4] === 'classifier' ? 'classifier' : 'autoencoder';

const { tf, backend } = await initTensorFlow('wasm');
const ecg = readEcg5000();
const normal = ecg.isAnomalous.filter((a) => a === 0).length;
const batches = kind === 'classifier' ? Math.ceil((2 * Math.max(normal, ecg.count - normal)) / batchSize) : Math.ceil(ecg.count / batchSize);

type Mode = 'none' | 'every batch' | 'throttled';
const modes: Mode[] = ['none', 'every batch', 'throttled'];

/** The activity's own callbacks, heartbeating into nothing. */
function callbacksOf(mode: Mode): TrainingCallbacks<{ epoch: number; epochs: number; loss: number }> {
  if (mode === 'none') return {};
  const target = { heartbeat: () => undefined, cancellationSignal: new AbortController().signal };
  return trainingHeartbeats(target, 'bench', mode === 'every batch' ? { intervalMs: 0 } : {});
}

async function oneEpoch(mode: Mode): Promise<{ ms: number; cpuMs: number }> {
  const callbacks = callbacksOf(mode);
  const started = performance.now();
  const cpu = process.cpuUsage();
  if (kind === 'classifier') await trainClassifier(tf, ecg, ecg, { maxEpochs: 1, batchSize }, callbacks);
  else await trainAutoencoder(tf, ecg, ecg, { epochs: 1, batchSize }, callbacks);
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

/** What one yield costs alone, on an otherwise idle event loop: the floor of its cost per batch. */
async function bareYieldMicros(count = 20_000): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
  return ((performance.now() - started) * 1000) / count;
}

const times = new Map<Mode, { ms: number[]; cpuMs: number[] }>(modes.map((m) => [m, { ms: [], cpuMs: [] }]));
await oneEpoch('none'); // warm-up: wasm compilation and kernel set-up
for (let round = 0; round < rounds; round++) {
  // Interleaved and rotated, so that drift of the machine's speed, and whatever one run leaves
  // the next (garbage, warm caches), spread over every mode alike.
  for (const mode of [...modes.slice(round % modes.length), ...modes.slice(0, round % modes.length)]) {
    const run = await oneEpoch(mode);
    times.get(mode)!.ms.push(run.ms);
    times.get(mode)!.cpuMs.push(run.cpuMs);
  }
}

const fastest = (xs: number[]) => Math.min(...xs);
const percent = (value: number, base: number) => `${(((value - base) / base) * 100).toFixed(1).padStart(5)} %`;
const base = { ms: fastest(times.get('none')!.ms), cpuMs: fastest(times.get('none')!.cpuMs) };
const perBatchMs = base.ms / batches;
const yieldUs = await bareYieldMicros();
console.log(`${kind}, ${backend}, ${ecg.count} beats, batch ${batchSize}: ${batches} batches per epoch, fastest of ${rounds}`);
console.log(`  a batch ${perBatchMs.toFixed(2)} ms; a bare setImmediate yield ${yieldUs.toFixed(1)} µs (${(yieldUs / 10 / perBatchMs).toFixed(2)} % of a batch)`);
for (const mode of modes) {
  const { ms, cpuMs } = times.get(mode)!;
  console.log(`  ${mode.padEnd(12)} wall ${fastest(ms).toFixed(0).padStart(6)} ms ${percent(fastest(ms), base.ms)}   cpu ${fastest(cpuMs).toFixed(0).padStart(6)} ms ${percent(fastest(cpuMs), base.cpuMs)}`);
}
