import { dayRangeOf, windowOfDays } from '../../common/dates';
import { findModelById, listModels } from '../../db/queries/models';
import { listPredictions } from '../../db/queries/predictions';
import { findProductionAt } from '../../db/queries/registry';
import type { CliContext } from '../context';
import { fixed, printResult, table } from '../output';

export async function runModels(ctx: CliContext, json: boolean): Promise<void> {
  const rows = (await listModels(ctx.database())).map((m) => {
    const { metrics } = m;
    return {
      tag: m.tag,
      kind: m.kind,
      stage: m.stage,
      threshold: m.threshold,
      accuracy: metrics.accuracy,
      f1: metrics.f1,
      rocAuc: metrics.rocAuc,
      rowCounts: m.rowCounts,
      trainFrom: m.trainFrom,
      trainTo: m.trainTo,
      backend: m.backend,
      trainingMs: m.trainingMs,
      workflowId: m.workflowId,
      createdAt: m.createdAt,
    };
  });
  printResult(json, rows, () =>
    rows.length === 0
      ? 'no models yet'
      : table(
          ['tag', 'kind', 'stage', 'accuracy', 'F1', 'ROC-AUC', 'threshold', 'created'],
          rows.map((r) => [r.tag, r.kind, r.stage, fixed(r.accuracy), fixed(r.f1), fixed(r.rocAuc), fixed(r.threshold, 5), r.createdAt.toISOString()]),
        ),
  );
}

/** The model in production at an instant, and the stage-history entry that put it there: when, by whom, why. */
export async function runModelsAt(ctx: CliContext, at: Date, json: boolean): Promise<void> {
  const found = await findProductionAt(ctx.database(), at);
  const model = found && (await findModelById(ctx.database(), found.model.id));
  const metrics = model?.metrics ?? null;
  const value = {
    at: at.toISOString(),
    model: model ? { tag: model.tag, kind: model.kind, stage: model.stage, threshold: model.threshold, accuracy: metrics!.accuracy, f1: metrics!.f1, rocAuc: metrics!.rocAuc, workflowId: model.workflowId } : null,
    since: found
      ? { changedAt: found.entry.changedAt.toISOString(), changedBy: found.entry.changedBy, reason: found.entry.reason, fromStage: found.entry.fromStage, workflowId: found.entry.workflowId }
      : null,
  };
  printResult(json, value, () =>
    found
      ? [
          `at ${value.at} the production model was ${found.model.tag}`,
          `in production since ${value.since!.changedAt}, moved from ${found.entry.fromStage ?? '-'} by ${found.entry.changedBy}${found.entry.workflowId ? ` (workflow ${found.entry.workflowId})` : ''}`,
          `reason: ${found.entry.reason}`,
        ].join('\n')
      : `no model was in production at ${value.at}`,
  );
}

export interface PredictionsOptions {
  date?: string;
  source?: string;
  model?: string;
  limit: number;
}

export async function runPredictions(ctx: CliContext, options: PredictionsOptions, json: boolean): Promise<void> {
  const window = options.date === undefined ? undefined : windowOfDays(dayRangeOf({ date: options.date }));
  const rows = await listPredictions(ctx.database(), { window, source: options.source, modelTag: options.model, limit: options.limit });
  printResult(json, rows, () =>
    rows.length === 0
      ? 'no predictions match'
      : table(
          ['ecgId', 'source', 'row', 'score', 'threshold', 'anomalous', 'known', 'model'],
          rows.map((r) => [r.ecgId, r.source, r.sourceRow, fixed(r.score, 5), fixed(r.threshold, 5), r.isAnomalous ? 'yes' : 'no', r.knownAnomalous === null ? '-' : r.knownAnomalous ? 'yes' : 'no', r.modelTag]),
        ),
  );
}
