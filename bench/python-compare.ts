// The project beside TensorFlow in Python: the same seed autoencoder, trained on the same normal
// beats with the same epochs and batch size, then scoring the same 100,000 augmented beats; prints
// both sides' figures and the ratios behind the goals (training time <= 1.0x Python's, scoring
// throughput >= 1.0x). Python's side needs scripts/setup-python.sh and is skipped without it; the
// native backend column needs scripts/setup-tfjs-node.sh and is left out, with the reason, without it.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config/env';
import { readEcg5000 } from '../tests/helpers/data/ecg5000';
import { augmentBeats } from '../tests/helpers/data/augment';
import { parseHyperparameters } from '../ml/planning/hyperparameters';
import { selectRows } from '../ml/matrix';
import { computeMinMax } from '../ml/normalise';
import { splitTrainTest } from '../ml/split';
import { writeComparisonData, type ComparisonData } from './python/exchange';
import { runProject } from './python/project-run';
import { runPython } from './python/run-python';
import { formatTable, type Column } from './python/table';

const BEATS = positiveInteger('BENCH_BEATS', 100_000);
const TRAINING_ROUNDS = positiveInteger('BENCH_TRAINING_ROUNDS', 3);
// libtensorflow reads this when it loads: keeps its start-up notices out of the table.
process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';

function positiveInteger(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${process.env[name]}`);
  return value;
}

function comparisonData(): ComparisonData {
  const config = loadConfig();
  const ecg = readEcg5000(config.ECG5000_CSV);
  const hyperparameters = parseHyperparameters({});
  const isTest = splitTrainTest(ecg.keys, hyperparameters.testFraction, hyperparameters.seed);
  const trainSplit = selectRows(ecg, (i) => !isTest[i]);
  return {
    trainNormal: selectRows(ecg, (i) => !isTest[i] && ecg.isAnomalous[i] === 0),
    trainSplit,
    normalisation: computeMinMax(trainSplit),
    test: selectRows(ecg, (i) => isTest[i]!),
    testLabels: ecg.isAnomalous.filter((_, i) => isTest[i]),
    score: augmentBeats(ecg, BEATS, 7),
    hyperparameters,
    trainingRounds: TRAINING_ROUNDS,
  };
}

const data = comparisonData();
const columns: Column[] = [{ name: 'project wasm', run: await runProject('wasm', data) }];
let nativeNote: string;
try {
  columns.push({ name: 'project tensorflow', run: await runProject('tensorflow', data) });
  nativeNote = 'native backend: @tensorflow/tfjs-node loaded';
} catch (error) {
  nativeNote = `native backend: not measured (scripts/setup-tfjs-node.sh makes it load): ${(error as Error).message}`;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'ecgflow-python-compare-'));
let pythonColumn: Column | null = null;
const notes = [nativeNote];
try {
  writeComparisonData(dir, data);
  const outcome = await runPython(dir);
  if (outcome.ok) {
    const p = outcome.result;
    pythonColumn = { name: `Python TF ${p.tensorflow}`, run: p };
    notes.push(
      `Python ${p.python}, TensorFlow ${p.tensorflow}, Keras ${p.keras}; import ${p.importMs} ms, process ${p.processWallMs} ms; ` +
        `training = build + compile + fit + threshold, best fit ${p.fitMs} ms (first epoch ${p.firstEpochMs} ms, later epochs ${p.laterEpochMeanMs} ms each); intra-op threads ${p.intraOpThreads || 'default'}`,
      `Python scoring by path (beats/s): ${Object.entries(p.scoringBeatsPerSecondByPath).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    );
  } else {
    notes.push(`Python TensorFlow: skipped: ${outcome.skipped}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const h = data.hyperparameters;
console.log(formatTable(columns, pythonColumn, h.epochs, h.batchSize, data.score.count, data.trainingRounds));
for (const note of notes) console.log(note);
