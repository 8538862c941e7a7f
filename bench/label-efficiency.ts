// npm run bench, section "label efficiency": what ordering the review queue by uncertainty buys.
// On ECG5000 beats held back from training, their known labels stand in for reviewers: starting
// from a classifier trained on 20 labelled beats, people review 25, 50, 100 and 200 more, chosen
// nearest the threshold (the review queue's order=uncertainty) or at random, and the classifier is
// retrained after every 25. ROC-AUC on a fixed test split, averaged over three seeds.
import { loadConfig } from '../config/env';
import { rocAuc } from '../ml/planning/metrics';
import { mostUncertain } from '../ml/planning/review-order';
import { mulberry32, shuffleInPlace } from '../ml/random';
import { isTestKey } from '../ml/split';
import { initTensorFlow, type TensorFlow } from '../ml/tf/backend';
import { trainClassifier, type LabelledBeats } from '../ml/tf/classifier';
import { createScorer } from '../ml/tf/scorer';
import { SAMPLES_PER_BEAT } from '../ml/beat';
import { readEcg5000, type Ecg5000 } from '../tests/helpers/data/ecg5000';

const BUDGETS = [25, 50, 75, 100, 150, 200];
const STEP = 25;
const SEED_LABELS = Number(process.env.BENCH_SEED_LABELS ?? 20);
const REPEATS = 3;
const SETTINGS = { hiddenUnits: [32, 16], batchSize: 32, learningRate: 0.005, maxEpochs: 40, patience: 6 };

type Strategy = 'uncertainty' | 'random';

function rowsOf(data: Ecg5000, rows: readonly number[]): LabelledBeats {
  const samples = new Float32Array(rows.length * SAMPLES_PER_BEAT);
  rows.forEach((r, i) => samples.set(data.samples.subarray(r * SAMPLES_PER_BEAT, (r + 1) * SAMPLES_PER_BEAT), i * SAMPLES_PER_BEAT));
  return { samples, count: rows.length, isAnomalous: Uint8Array.from(rows, (r) => data.isAnomalous[r]!) };
}

async function scoresOf(tf: TensorFlow, data: Ecg5000, labelled: number[], rows: number[], seed: number): Promise<Float32Array> {
  const train = rowsOf(data, labelled);
  // Early stopping watches the labelled rows themselves: reviewers label no validation set.
  const trained = await trainClassifier(tf, train, train, { ...SETTINGS, seed });
  const scorer = await createScorer(tf, trained.artifact, trained.normalisation, 0.5, 'model-output');
  try {
    return scorer.score(rowsOf(data, rows));
  } finally {
    scorer.dispose();
  }
}

/** The ROC-AUC after each budget of reviewed beats, for one strategy and seed. */
async function curve(tf: TensorFlow, data: Ecg5000, pool: number[], test: number[], strategy: Strategy, seed: number): Promise<number[]> {
  const random = mulberry32(seed);
  const shuffled = [...pool];
  shuffleInPlace(shuffled, random);
  // The same starting model for both strategies: 10 normal and 10 anomalous beats of the pool.
  const normal = shuffled.filter((r) => !data.isAnomalous[r]).slice(0, SEED_LABELS / 2);
  const anomalous = shuffled.filter((r) => data.isAnomalous[r]).slice(0, SEED_LABELS / 2);
  const labelled = [...normal, ...anomalous];
  let unlabelled = shuffled.filter((r) => !labelled.includes(r));
  const testPositive = test.map((r) => data.isAnomalous[r] === 1);
  const aucs: number[] = [];
  let reviewed = 0;
  for (const budget of BUDGETS) {
    while (reviewed < budget) {
      const k = Math.min(STEP, budget - reviewed);
      let picked: number[];
      if (strategy === 'random') picked = unlabelled.slice(0, k);
      else picked = mostUncertain(await scoresOf(tf, data, labelled, unlabelled, seed), 0.5, k).map((i) => unlabelled[i]!);
      const taken = new Set(picked);
      labelled.push(...picked);
      unlabelled = unlabelled.filter((r) => !taken.has(r));
      reviewed += k;
    }
    aucs.push(rocAuc(await scoresOf(tf, data, labelled, test, seed), testPositive) ?? Number.NaN);
  }
  return aucs;
}

export async function labelEfficiency(tf: TensorFlow, csvPath: string): Promise<{ budgets: number[]; uncertainty: number[]; random: number[]; labelsToMatch: number | null }> {
  const data = readEcg5000(csvPath);
  const rows = Array.from({ length: data.count }, (_, i) => i);
  const test = rows.filter((r) => isTestKey(data.keys[r]!, 0.3, 42));
  const pool = rows.filter((r) => !isTestKey(data.keys[r]!, 0.3, 42));
  const sums: Record<Strategy, number[]> = { uncertainty: BUDGETS.map(() => 0), random: BUDGETS.map(() => 0) };
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    for (const strategy of ['uncertainty', 'random'] as const) {
      const aucs = await curve(tf, data, pool, test, strategy, 1000 + repeat);
      aucs.forEach((auc, i) => (sums[strategy][i]! += auc / REPEATS));
    }
  }
  const target = sums.random[BUDGETS.length - 1]!;
  const reached = BUDGETS.findIndex((_, i) => sums.uncertainty[i]! >= target);
  return { budgets: BUDGETS, uncertainty: sums.uncertainty, random: sums.random, labelsToMatch: reached < 0 ? null : BUDGETS[reached]! };
}

// Run on its own: node --import tsx bench/label-efficiency.ts
if (import.meta.url === `file://${process.argv[1]}`) {
  const config = loadConfig();
  const { tf, backend } = await initTensorFlow(config.ECGFLOW_TF_BACKEND);
  const started = performance.now();
  const result = await labelEfficiency(tf, config.ECG5000_CSV);
  console.log(`\nlabel efficiency (ECG5000, classifier from ${SEED_LABELS} labelled beats, retrained every ${STEP} reviews, ROC-AUC on a fixed test split, mean of ${REPEATS} seeds; ${backend}, ${Math.round((performance.now() - started) / 1000)} s)`);
  console.log('| beats reviewed | nearest the threshold first | random order |');
  console.log('|---:|---:|---:|');
  result.budgets.forEach((b, i) => console.log(`| ${b} | ${result.uncertainty[i]!.toFixed(4)} | ${result.random[i]!.toFixed(4)} |`));
  const goal = result.budgets[result.budgets.length - 1]! / 2;
  console.log(
    result.labelsToMatch === null
      ? `uncertainty order never reached random order's ${result.budgets.at(-1)}-label ROC-AUC (${result.random.at(-1)!.toFixed(4)}) within ${result.budgets.at(-1)} labels (goal: at most ${goal})`
      : `uncertainty order reaches random order's ${result.budgets.at(-1)}-label ROC-AUC (${result.random.at(-1)!.toFixed(4)}) after ${result.labelsToMatch} labels (goal: at most ${goal}): ${result.labelsToMatch <= goal ? 'met' : 'not met'}`,
  );
}
