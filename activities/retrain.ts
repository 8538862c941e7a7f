import { Context } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import { windowOfDays } from '../common/dates';
import type { Database } from '../db/database';
import { readLabelledBeats, type LabelledBeatRow } from '../db/queries/ecg';
import { findModelByTag, loadStoredModel } from '../db/queries/models';
import { findProductionModel } from '../db/queries/registry';
import { applyRetrainDecision } from '../db/queries/retrain-decisions';
import type { TensorFlow } from '../ml/tf/backend';
import { decodeBeats, SAMPLES_PER_BEAT } from '../ml/beat';
import { evaluate, type Metrics } from '../ml/planning/metrics';
import { createScorerOf } from '../ml/tf/scorer';
import { isTestKey } from '../ml/split';
import { permanent, workflowRunOf } from './errors';
import { refusalsArePermanent, stageChangeOf } from './registry';
import type { StoredModel } from '../db/stored-model';
import type { StageChangeResult } from '../contracts/workflows/stage-changes';

export interface OpenDayRange {
  from?: string;
  to?: string;
}

export interface EvaluateModelsInput {
  modelTags: string[];
  range: OpenDayRange;
  includeReviewed: boolean;
  /**
   * The model whose held-out split picks the rows (the challenger's): every model is scored on the
   * same rows, and the challenger on none it trained on.
   */
  heldOutOf: string;
}

export interface WindowEvaluation {
  /** Labelled beats of the window in the held-out split: what every model was scored on. */
  rows: number;
  firstId: number | null;
  lastId: number | null;
  split: { testFraction: number; seed: number };
  metrics: Record<string, Metrics>;
}

export interface ModelBrief {
  modelId: number;
  tag: string;
  workflowId: string;
  metrics: Metrics;
}

export interface RetrainDecisionRequest {
  challengerTag: string;
  championTag: string | null;
  promoteTo: 'production' | 'staging' | null;
  reason: string;
  decidedBy: string;
  details: object;
  requestedAt: string;
  /** The champion's model id the challenger was compared with (null: none); see applyRetrainDecision. */
  judgedChampionId?: number | null;
}

export interface RetrainDecisionOutcome {
  decisionId: number;
  promoted: boolean;
  reason: string;
  decidedBy: string;
  /** False when a retried attempt found the decision already recorded. */
  created: boolean;
  stageChange: StageChangeResult | null;
}

/** Champion/challenger evaluation and the decisions of retraining. */
export function createRetrainActivities(deps: { db: Kysely<Database>; tf: TensorFlow }) {
  return {
    /** The champion: the model in production now, if any. */
    async findChampion(): Promise<ModelBrief | null> {
      const production = await findProductionModel(deps.db);
      const row = production && (await findModelByTag(deps.db, production.tag));
      return row ? briefOf(row) : null;
    },

    /** The model already saved under a tag, so a rerun of a retraining does not train its challenger twice. */
    async findModelBrief(input: { tag: string }): Promise<ModelBrief | null> {
      const row = await findModelByTag(deps.db, input.tag);
      return row ? briefOf(row) : null;
    },

    /** Loads each model from MySQL and scores the same held-out labelled beats of the window with all of them. */
    async evaluateModelsOnWindow(input: EvaluateModelsInput): Promise<WindowEvaluation> {
      const reference = await loadStoredModel(deps.db, { tag: input.heldOutOf });
      if (!reference) throw permanent('ModelNotFound', `no model is tagged "${input.heldOutOf}"`);
      const split = splitOf(reference);
      // The challenger's own snapshot: its held-out rows are exactly those it was kept from, with the
      // labels they had, not beats or reviews that arrived while it trained.
      const all = await readLabelledBeats(deps.db, openWindow(input.range), { includeReviewed: input.includeReviewed, asOf: reference.snapshot ?? undefined });
      const rows = all.filter((r) => isTestKey(r.content_hash.toString('hex'), split.testFraction, split.seed));
      if (rows.length === 0) throw permanent('NoEvaluationData', `no labelled beats of ${describe(input.range)} fall in the held-out split of "${input.heldOutOf}"`);
      const beats = matrixOf(rows);
      const labels = Uint8Array.from(rows, (r) => (r.is_anomalous ? 1 : 0));
      const classes = rows.map((r) => r.ucr_class);

      const metrics: Record<string, Metrics> = {};
      for (const tag of input.modelTags) {
        const model = tag === reference.tag ? reference : await loadStoredModel(deps.db, { tag });
        if (!model) throw permanent('ModelNotFound', `no model is tagged "${tag}"`);
        const scorer = await createScorerOf(deps.tf, model);
        try {
          metrics[tag] = evaluate(scorer.score(beats), labels, model.threshold, classes);
        } finally {
          scorer.dispose();
        }
        Context.current().heartbeat({ scored: tag });
      }
      return { rows: rows.length, firstId: rows[0]?.id ?? null, lastId: rows[rows.length - 1]?.id ?? null, split, metrics };
    },

    /** Records the decision and moves the challenger's stage in one transaction; a retry changes nothing twice. */
    async recordRetrainDecision(input: RetrainDecisionRequest): Promise<RetrainDecisionOutcome> {
      const { workflowId, runId } = workflowRunOf(Context.current().info);
      const result = await refusalsArePermanent(() =>
        applyRetrainDecision(deps.db, { ...input, workflowId, runId, requestedAt: new Date(input.requestedAt) }),
      );
      return {
        decisionId: result.decision.id,
        promoted: result.decision.promoted,
        reason: result.decision.reason,
        decidedBy: result.decision.decidedBy,
        created: result.created,
        stageChange: result.stageChange ? stageChangeOf(result.stageChange) : null,
      };
    },
  };
}

function briefOf(model: StoredModel): ModelBrief {
  return { modelId: model.id, tag: model.tag, workflowId: model.workflowId, metrics: model.metrics };
}

/** The split a model was trained with; models record testFraction and seed with their hyperparameters. */
function splitOf(model: StoredModel): { testFraction: number; seed: number } {
  const hyper = model.hyperparameters;
  const testFraction = typeof hyper.testFraction === 'number' ? hyper.testFraction : 0.2;
  const seed = typeof hyper.seed === 'number' ? hyper.seed : 42;
  return { testFraction, seed };
}

function openWindow(range: OpenDayRange): { from?: Date; to?: Date } {
  return {
    from: range.from === undefined ? undefined : windowOfDays({ from: range.from, to: range.from }).from,
    to: range.to === undefined ? undefined : windowOfDays({ from: range.to, to: range.to }).to,
  };
}

function describe(range: OpenDayRange): string {
  return `${range.from ?? 'the beginning'} to ${range.to ?? 'now'}`;
}

function matrixOf(rows: LabelledBeatRow[]) {
  const samples = decodeBeats(rows.map((r) => r.samples));
  return { samples, count: samples.length / SAMPLES_PER_BEAT };
}
