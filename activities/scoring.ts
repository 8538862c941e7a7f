import { LoadedModels } from '../ml/tf/loaded-models';
import { Context, log } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import { windowOfDays, type DayRange } from '../common/dates';
import type { Database } from '../db/database';
import { chooseModel, loadStoredModel } from '../db/queries/models';
import { countRunPredictions, hasPredictionsBetween, insertNewPredictions, upsertPredictions, type ScoredPage } from '../db/queries/predictions';
import { planIdChunks, readBeatsToScore, type BeatToScore, type IdChunk } from '../db/queries/scoring';
import type { TensorFlow } from '../ml/tf/backend';
import { createScorerOf, type Scorer } from '../ml/tf/scorer';
import { beatMatrixOfBlobs } from '../ml/scorer-input';
import { permanent, workflowRunOf } from './errors';
import { noPipelineMetrics, type PipelineMetrics } from './metrics';

export interface ScoringDeps {
  db: Kysely<Database>;
  tf: TensorFlow;
  /** Beats read, scored and written per round trip. */
  pageSize?: number;
  metrics?: PipelineMetrics;
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

/** Scorers kept loaded per worker: a day is scored by one or two models (production, staging). */
const CACHED_SCORERS = 4;

export function createScoringActivities(deps: ScoringDeps) {
  const pageSize = deps.pageSize ?? 2000;
  const metrics = deps.metrics ?? noPipelineMetrics;
  const scorers = new LoadedModels<Scorer>(CACHED_SCORERS);
  const scorerFor = (modelId: number) => scorers.get(modelId, () => loadScorer(modelId));

  async function loadScorer(modelId: number): Promise<Scorer> {
    const model = await loadStoredModel(deps.db, { id: modelId });
    if (!model) throw permanent('ModelNotFound', `model ${modelId} no longer exists`);
    return createScorerOf(deps.tf, model);
  }

  return {
    /** The named model, else the production one, else the newest. */
    async resolveModel(input: { modelTag?: string }): Promise<ResolvedModel> {
      const choice = await chooseModel(deps.db, input.modelTag);
      if ('model' in choice) return { modelId: choice.model.id, modelTag: choice.model.tag };
      throw permanent('ModelNotFound', choice.missing === 'tag' ? `no model is tagged "${choice.tag}"` : 'no model has been trained yet; run ecgflow train --tag T first');
    },

    async planScoring(input: { range: DayRange; afterId: number; chunkSize: number; maxChunks: number }): Promise<{ chunks: IdChunk[]; more: boolean }> {
      return planIdChunks(deps.db, windowOfDays(input.range), input.afterId, input.chunkSize, input.maxChunks);
    },

    /**
     * Scores the not-yet-scored beats of one id range; safe to retry, and a retry resumes at its
     * cursor. Pages overlap: the next page is read while this one is scored and the previous one
     * written, with one write in flight at a time so the cursor only ever covers written beats.
     */
    async scoreChunk(input: ChunkInput): Promise<ChunkResult> {
      const started = performance.now();
      const ctx = Context.current();
      const { runId, workflowId } = workflowRunOf(ctx.info);
      const scorer = await scorerFor(input.modelId);
      const window = windowOfDays(input.range);
      const resumed = ctx.info.heartbeatDetails as ChunkCursor | undefined;
      const startAfter = Math.max(input.fromId - 1, resumed?.afterId ?? 0);
      // A range this model has no prediction in needs no per-beat check and is written as new rows.
      const fresh = !(await hasPredictionsBetween(deps.db, { modelId: input.modelId, afterId: startAfter, toId: input.toId }));
      const writer = new PageWriter(deps.db, fresh);
      const readPage = (afterId: number) =>
        settledLater(readBeatsToScore(deps.db, { window, modelId: input.modelId, afterId, toId: input.toId, limit: pageSize, skipScored: !fresh }));

      // What this attempt did, for its log line and the worker's metrics.
      const done = { read: 0, scored: 0, written: 0 };
      let writing: Promise<void> = Promise.resolve();
      for (let next = readPage(startAfter); ; ) {
        const beats = await next;
        if (beats.length === 0) break;
        done.read += beats.length;
        const lastId = beats[beats.length - 1]!.id;
        const more = beats.length === pageSize;
        if (more) next = readPage(lastId);
        const scores = scoresOf(scorer, beats);
        done.scored += beats.length;
        await writing;
        const page = { modelId: input.modelId, threshold: scorer.threshold, workflowId, runId, scoredAt: new Date(), ecgIds: beats.map((b) => b.id), scores };
        writing = settledLater(
          writer.write(page).then(() => {
            done.written += page.ecgIds.length;
            metrics.beatsScored(page.ecgIds.length);
            ctx.heartbeat({ afterId: lastId } satisfies ChunkCursor);
          }),
        );
        if (!more) break;
      }
      await writing;
      const result = writer.counted && !resumed ? writer.counted : await countRunPredictions(deps.db, { modelId: input.modelId, fromId: input.fromId, toId: input.toId, runId });
      const seconds = (performance.now() - started) / 1000;
      metrics.chunkSeconds(seconds);
      // The activity logger adds workflowId, workflowRunId and activityType to the line.
      log.info('scored chunk', {
        modelId: input.modelId,
        fromId: input.fromId,
        toId: input.toId,
        resumedAfter: resumed?.afterId ?? null,
        rowsRead: done.read,
        rowsScored: done.scored,
        rowsWritten: done.written,
        anomalies: result.anomalies,
        seconds: Number(seconds.toFixed(3)),
      });
      return result;
    },
  };
}

/**
 * Writes a chunk's pages and, while every page goes in as new rows, counts them itself. Those rows
 * are all this attempt's, so the count is exact without asking MariaDB; the first page that meets
 * an existing prediction (someone scored the same beats meanwhile) switches to upserts, after which
 * only a count by run id in MariaDB is exact.
 */
class PageWriter {
  counted: ChunkResult | undefined;

  constructor(private readonly db: Kysely<Database>, fresh: boolean) {
    this.counted = fresh ? { scored: 0, anomalies: 0 } : undefined;
  }

  async write(page: ScoredPage): Promise<void> {
    if (this.counted && (await insertNewPredictions(this.db, page))) {
      this.counted.scored += page.ecgIds.length;
      this.counted.anomalies += page.scores.reduce((n, score) => (score >= page.threshold ? n + 1 : n), 0);
      return;
    }
    this.counted = undefined;
    await upsertPredictions(this.db, page);
  }
}

function scoresOf(scorer: Scorer, beats: readonly BeatToScore[]): Float32Array {
  const scores = scorer.score(beatMatrixOfBlobs(beats.map((b) => b.samples)));
  const bad = scores.findIndex((score) => !Number.isFinite(score));
  if (bad >= 0) throw permanent('InvalidScore', `beat ${beats[bad]!.id} scored ${scores[bad]}; the model or the beat is broken`);
  return scores;
}

/**
 * A promise awaited later than it may fail: marked handled now, so a failure while the loop waits on
 * something else does not crash the worker as an unhandled rejection; awaiting it still throws.
 */
function settledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
