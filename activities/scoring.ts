import { Context } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import { windowOfDays, type DayRange } from '../common/dates';
import type { Database } from '../db/database';
import { planIdChunks, readUnscoredBeats, type IdChunk } from '../db/queries/ecg';
import { findDefaultModel, findModelById, findModelByTag } from '../db/queries/models';
import { countRunPredictions, upsertPredictions } from '../db/queries/predictions';
import type { TensorFlow } from '../ml/backend';
import { decodeBeats, SAMPLES_PER_BEAT } from '../ml/beat';
import { createScorer, type Scorer } from '../ml/scorer';
import { permanent, workflowRunOf } from './errors';
import { artifactOfRow, normalisationOfRow, scoreOutputOfKind } from './stored-model';

export interface ScoringDeps {
  db: Kysely<Database>;
  tf: TensorFlow;
  /** Beats read, scored and written per round trip. */
  pageSize?: number;
}

export interface ResolvedModel {
  modelId: number;
  modelTag: string;
}

export interface ChunkInput {
  modelId: number;
  range: DayRange;
  fromId: number;
  toId: number;
}

export interface ChunkResult {
  scored: number;
  anomalies: number;
}

/** Heartbeat details of scoreChunk: a retry resumes after `afterId`. */
export interface ChunkCursor {
  afterId: number;
}

const CACHED_SCORERS = 4;

export function createScoringActivities(deps: ScoringDeps) {
  const pageSize = deps.pageSize ?? 2000;
  const scorers = new Map<number, Promise<Scorer>>();

  async function scorerFor(modelId: number): Promise<Scorer> {
    let scorer = scorers.get(modelId);
    if (!scorer) {
      scorer = loadScorer(modelId);
      scorers.set(modelId, scorer);
      scorer.catch(() => scorers.delete(modelId));
      if (scorers.size > CACHED_SCORERS) {
        const [oldest] = scorers.keys();
        const evicted = scorers.get(oldest!);
        scorers.delete(oldest!);
        evicted?.then((s) => s.dispose(), () => undefined);
      }
    }
    return scorer;
  }

  async function loadScorer(modelId: number): Promise<Scorer> {
    const row = await findModelById(deps.db, modelId);
    if (!row) throw permanent('ModelNotFound', `model ${modelId} no longer exists`);
    return createScorer(deps.tf, artifactOfRow(row), normalisationOfRow(row), row.threshold, scoreOutputOfKind(row.kind));
  }

  return {
    /** The named model, else the production one, else the newest. */
    async resolveModel(input: { modelTag?: string }): Promise<ResolvedModel> {
      if (input.modelTag !== undefined) {
        const row = await findModelByTag(deps.db, input.modelTag);
        if (!row) throw permanent('ModelNotFound', `no model is tagged "${input.modelTag}"`);
        return { modelId: row.id, modelTag: row.tag };
      }
      const row = await findDefaultModel(deps.db);
      if (!row) throw permanent('ModelNotFound', 'no model has been trained yet; run ecgflow train --tag T first');
      return { modelId: row.id, modelTag: row.tag };
    },

    async planScoring(input: { range: DayRange; afterId: number; chunkSize: number; maxChunks: number }): Promise<{ chunks: IdChunk[]; more: boolean }> {
      return planIdChunks(deps.db, windowOfDays(input.range), input.afterId, input.chunkSize, input.maxChunks);
    },

    /** Scores the not-yet-scored beats of one id range; safe to retry, and a retry resumes at its cursor. */
    async scoreChunk(input: ChunkInput): Promise<ChunkResult> {
      const ctx = Context.current();
      const { runId, workflowId } = workflowRunOf(ctx.info);
      const scorer = await scorerFor(input.modelId);
      const window = windowOfDays(input.range);
      const resumed = ctx.info.heartbeatDetails as ChunkCursor | undefined;
      let afterId = Math.max(input.fromId - 1, resumed?.afterId ?? 0);
      for (;;) {
        const beats = await readUnscoredBeats(deps.db, { window, modelId: input.modelId, afterId, toId: input.toId, limit: pageSize });
        if (beats.length === 0) break;
        const samples = decodeBeats(beats.map((b) => b.samples));
        const scores = scorer.score({ samples, count: samples.length / SAMPLES_PER_BEAT });
        const scoredAt = new Date();
        await upsertPredictions(
          deps.db,
          beats.map((b, i) => ({
            ecg_id: b.id,
            model_id: input.modelId,
            score: scores[i]!,
            threshold: scorer.threshold,
            is_anomalous: scores[i]! >= scorer.threshold ? 1 : 0,
            workflow_id: workflowId,
            run_id: runId,
            scored_at: scoredAt,
          })),
        );
        afterId = beats[beats.length - 1]!.id;
        ctx.heartbeat({ afterId } satisfies ChunkCursor);
        if (beats.length < pageSize) break;
      }
      return countRunPredictions(deps.db, { modelId: input.modelId, fromId: input.fromId, toId: input.toId, runId });
    },
  };
}
