import { Context } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import { parseDay, windowOfDays, type DayRange } from '../common/dates';
import type { Database } from '../db/database';
import { readBaselineProfile, readBeatsPage, storeBaselineProfile, upsertDriftReport, type ProfiledBeatRow } from '../db/queries/drift';
import type { TimeWindow } from '../db/queries/ecg';
import { loadStoredModel } from '../db/queries/models';
import type { TensorFlow } from '../ml/tf/backend';
import { decodeBeats, SAMPLES_PER_BEAT } from '../ml/beat';
import { compareWithBaseline, psiBand, type DriftMeasurement } from '../ml/drift/verdict';
import { BaselineBuilder, parseBaselineProfile } from '../ml/drift/baseline';
import { resolveDriftPolicy } from '../ml/drift/policy';
import { priorityOfHash, type BaselineProfile } from '../ml/drift/profile';
import { WindowProfiler, type WindowProfileState } from '../ml/drift/window';
import type { BeatMatrix } from '../ml/matrix';
import { createScorerOf, type Scorer } from '../ml/tf/scorer';
import { permanent, workflowRunOf } from './errors';
import type { LoadableModel } from '../db/stored-model';
import type { DriftPolicy } from '../ml/drift/policy';

export interface DriftDeps {
  db: Kysely<Database>;
  tf: TensorFlow;
  /** Beats read and scored per round trip. */
  pageSize?: number;
}

export interface BaselineSummary {
  modelId: number;
  sampleSize: number;
  anomalyRate: number;
  /** False when the model already had its baseline and nothing was read. */
  computed: boolean;
}

export interface MeasureDriftInput {
  modelId: number;
  range: DayRange;
  policy?: Partial<DriftPolicy>;
}

/** Heartbeat details of measureDrift: a retry resumes after `afterId` with what was gathered so far. */
export interface MeasureDriftCursor {
  afterId: number;
  beatsRead: number;
  state: WindowProfileState;
}

export interface SaveDriftReportInput {
  modelId: number;
  range: DayRange;
  measurement: DriftMeasurement;
}

/** Drift baselines at training time and drift reports against them. */
export function createDriftActivities(deps: DriftDeps) {
  const pageSize = deps.pageSize ?? 2000;

  /** Calls `onPage` for every page of the window's beats after `afterId` (and up to `toId`), in id order. */
  async function forEachPage(
    window: Partial<TimeWindow>,
    from: { afterId: number; toId?: number; arrivedBy?: Date },
    onPage: (beats: BeatMatrix, rows: ProfiledBeatRow[]) => void,
  ): Promise<number> {
    let afterId = from.afterId;
    for (;;) {
      const rows = await readBeatsPage(deps.db, { window, afterId, toId: from.toId, arrivedBy: from.arrivedBy, limit: pageSize });
      if (rows.length === 0) return afterId;
      const samples = decodeBeats(rows.map((r) => r.samples));
      onPage({ samples, count: samples.length / SAMPLES_PER_BEAT }, rows);
      afterId = rows[rows.length - 1]!.id;
      if (rows.length < pageSize) return afterId;
    }
  }

  async function withScorer<T>(model: LoadableModel, use: (scorer: Scorer) => Promise<T>): Promise<T> {
    const scorer = await createScorerOf(deps.tf, model);
    try {
      return await use(scorer);
    } finally {
      scorer.dispose();
    }
  }

  async function modelOrFail(modelId: number): Promise<LoadableModel> {
    const model = await loadStoredModel(deps.db, { id: modelId });
    if (!model) throw permanent('ModelNotFound', `model ${modelId} no longer exists`);
    return model;
  }

  return {
    /**
     * Profiles every beat of the model's training window (normal and abnormal, labelled or not)
     * and stores it with the model. Idempotent: a model that has its baseline keeps it.
     */
    async computeBaselineProfile(input: { modelId: number }): Promise<BaselineSummary> {
      const model = await modelOrFail(input.modelId);
      const existing = await readBaselineProfile(deps.db, model.id);
      if (existing) return summaryOf(model.id, parseBaselineProfile(existing), false);
      const ctx = Context.current();
      const window = { from: model.trainFrom ?? undefined, to: model.trainTo ?? undefined };
      // The beats the model could have trained on: a window open towards now must not take in what came later.
      const arrivedBy = model.createdAt;
      const builder = new BaselineBuilder(model.threshold);
      let beatsRead = 0;
      // A model trained on a snapshot is profiled on the snapshot's beats, not on later arrivals.
      const snapshotEnd = model.snapshot?.beatId;
      const lastId = await withScorer(model, (scorer) =>
        forEachPage(window, { afterId: 0, toId: snapshotEnd, arrivedBy }, (beats, rows) => {
          builder.addScored(beats, scorer.score(beats), rows.map((r) => priorityOfHash(r.content_hash)));
          beatsRead += beats.count;
          ctx.heartbeat({ pass: 'scoring', beatsRead });
        }),
      );
      if (beatsRead === 0) {
        throw permanent('NoBaselineData', `model ${model.tag} has no beats left in its training window to profile`);
      }
      // The second pass stops at the first one's last id, so both passes count the same beats.
      let binned = 0;
      await forEachPage(window, { afterId: 0, toId: lastId, arrivedBy }, (beats) => {
        builder.addForBins(beats);
        binned += beats.count;
        ctx.heartbeat({ pass: 'binning', beatsRead: binned });
      });
      await storeBaselineProfile(deps.db, model.id, JSON.stringify(builder.profile()));
      const saved = await readBaselineProfile(deps.db, model.id);
      if (!saved) throw new Error(`model ${model.tag} disappeared while its baseline was stored`);
      return summaryOf(model.id, parseBaselineProfile(saved), true);
    },

    /** Profiles the window's beats against the model's baseline and gives the verdict; resumes at its cursor. */
    async measureDrift(input: MeasureDriftInput): Promise<DriftMeasurement> {
      let policy: DriftPolicy;
      let window: TimeWindow;
      try {
        policy = resolveDriftPolicy(input.policy);
        window = windowOfDays(input.range);
      } catch (error) {
        throw permanent('InvalidInput', (error as Error).message);
      }
      const model = await modelOrFail(input.modelId);
      const stored = await readBaselineProfile(deps.db, model.id);
      if (!stored) throw permanent('NoBaseline', `model ${model.tag} has no baseline profile yet`);
      const baseline = parseBaselineProfile(stored);
      const ctx = Context.current();
      const resumed = ctx.info.heartbeatDetails as MeasureDriftCursor | undefined;
      const profiler = new WindowProfiler(baseline.edges, baseline.threshold, resumed?.state);
      let beatsRead = resumed?.beatsRead ?? 0;
      await withScorer(model, (scorer) =>
        forEachPage(window, { afterId: resumed?.afterId ?? 0 }, (beats, rows) => {
          profiler.add(beats, scorer.score(beats), rows.map((r) => priorityOfHash(r.content_hash)));
          beatsRead += beats.count;
          ctx.heartbeat({ afterId: rows[rows.length - 1]!.id, beatsRead, state: profiler.state() } satisfies MeasureDriftCursor);
        }),
      );
      return compareWithBaseline(baseline, profiler.profile(), policy);
    },

    /**
     * One report per workflow run, with the PSI, band and both mean beats at every position and the
     * two score distributions; a retried write replaces its own rows.
     */
    async saveDriftReport(input: SaveDriftReportInput): Promise<{ reportId: number }> {
      const { workflowId, runId } = workflowRunOf(Context.current().info);
      const m = input.measurement;
      const reportId = await upsertDriftReport(
        deps.db,
        {
          model_id: input.modelId,
          range_from: parseDay(input.range.from, 'from'),
          range_to: parseDay(input.range.to, 'to'),
          status: m.status,
          sample_size: m.sampleSize,
          drifted_share: m.driftedShare,
          moderate_share: m.moderateShare,
          psi_max: m.psiMax,
          ks_statistic: m.ksStatistic,
          ks_p_value: m.ksPValue,
          anomaly_rate: m.anomalyRate,
          baseline_anomaly_rate: m.baselineAnomalyRate,
          baseline_sample_size: m.baselineSampleSize,
          score_quantiles: m.scoreQuantiles ? JSON.stringify(m.scoreQuantiles) : null,
          policy: JSON.stringify(m.policy),
          workflow_id: workflowId,
          run_id: runId,
        },
        // A measurement an older worker made has no mean beats: its positions keep nulls there.
        m.psi.map((value, position) => ({
          position,
          psi: value,
          band: psiBand(value, m.policy),
          window_mean: m.windowBeat?.mean[position] ?? null,
          window_sd: m.windowBeat?.sd[position] ?? null,
          baseline_mean: m.baselineBeat?.mean[position] ?? null,
          baseline_sd: m.baselineBeat?.sd[position] ?? null,
        })),
      );
      return { reportId };
    },
  };
}

function summaryOf(modelId: number, profile: BaselineProfile, computed: boolean): BaselineSummary {
  return { modelId, sampleSize: profile.sampleSize, anomalyRate: profile.anomalyRate, computed };
}
