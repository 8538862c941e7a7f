// The project's side of the comparison: the real ml/ code on one TensorFlow.js backend.
import { trainAutoencoder } from '../../ml/tf/autoencoder';
import { initTensorFlow, type BackendPreference } from '../../ml/tf/backend';
import { evaluate } from '../../ml/planning/metrics';
import { createScorer } from '../../ml/tf/scorer';
import type { ComparisonData } from './exchange';

export interface RunResult {
  /** The fastest of the training rounds. */
  trainingMs: number;
  trainingMsByRound: number[];
  finalLoss: number;
  heldOutRocAuc: number | null;
  scoringBeatsPerSecond: number;
  /** How the run scored: the project's scorer path, or Python's fastest TensorFlow call. */
  scoringPath: string;
}

const SCORING_ROUNDS = 3;

/**
 * Trains the seed recipe as npm run bench does (from scratch, data.trainingRounds times, keeping
 * the fastest time; the first round also pays the backend's warm-up), then times model-only
 * scoring with the last model, best of 3.
 */
export async function runProject(preference: BackendPreference, data: ComparisonData): Promise<RunResult> {
  const { tf } = await initTensorFlow(preference);
  const trainingMsByRound: number[] = [];
  let trained = await trainAutoencoder(tf, data.trainNormal, data.trainSplit, data.hyperparameters);
  trainingMsByRound.push(trained.trainingMs);
  while (trainingMsByRound.length < data.trainingRounds) {
    trained = await trainAutoencoder(tf, data.trainNormal, data.trainSplit, data.hyperparameters);
    trainingMsByRound.push(trained.trainingMs);
  }
  const scorer = await createScorer(tf, trained.artifact, trained.normalisation, trained.threshold);
  try {
    const metrics = evaluate(scorer.score(data.test), data.testLabels, trained.threshold);
    let bestMs = Infinity;
    for (let round = 0; round < SCORING_ROUNDS; round++) {
      const started = performance.now();
      scorer.score(data.score);
      bestMs = Math.min(bestMs, performance.now() - started);
    }
    return {
      trainingMs: Math.min(...trainingMsByRound),
      trainingMsByRound,
      finalLoss: trained.lossHistory.at(-1) ?? Number.NaN,
      heldOutRocAuc: metrics.rocAuc,
      scoringBeatsPerSecond: Math.round((data.score.count * 1000) / bestMs),
      scoringPath: scorer.path,
    };
  } finally {
    scorer.dispose();
  }
}
