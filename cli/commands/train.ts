import type { WorkflowHandle } from '@temporalio/client';
import { startTraining } from '../../client/pipelines';
import type { CliContext } from '../context';
import { fixed, printResult, table } from '../output';
import { heartbeatValue, waitForResult } from '../wait';
import type { TrainModelInput, TrainProgress, TrainedModelSummary } from '../../contracts/workflows/train-model';

export async function runTrain(ctx: CliContext, input: TrainModelInput, json: boolean): Promise<void> {
  const client = await ctx.temporal();
  const handle = await startTraining(client, ctx.config, input);
  const result = await waitForResult(handle, {
    uiUrl: ctx.config.TEMPORAL_UI_URL,
    progress: async () => describeProgress(input.tag, await candidatesInProgress(handle)),
  });
  printResult(json, { workflowId: handle.workflowId, ...result }, () => describeTraining(result));
}

/** The heartbeats of every candidate training now: several train in parallel. */
export async function candidatesInProgress(handle: WorkflowHandle): Promise<Partial<TrainProgress>[]> {
  const description = await handle.describe();
  const progress = await Promise.all((description.raw.pendingActivities ?? []).map((activity) => heartbeatValue(handle, activity.heartbeatDetails?.payloads?.[0])));
  return progress.filter((p) => p !== undefined) as Partial<TrainProgress>[];
}

export function describeProgress(tag: string, progress: Partial<TrainProgress>[]): string {
  const running = progress.filter((p) => p.epoch);
  if (running.length === 0) return `training ${tag}…`;
  const parts = running.map((p) => `${p.candidate ?? 'model'} epoch ${p.epoch}/${p.epochs}, loss ${fixed(p.loss)}`);
  return `training ${tag}: ${parts.join('; ')}`;
}

export function describeTraining(result: TrainedModelSummary): string {
  const m = result.metrics;
  const perClass = Object.entries(m.perClass)
    .map(([cls, c]) => `class ${cls} ${c.flagged}/${c.count} (${fixed(c.rate, 3)})`)
    .join(', ');
  const counts = result.rowCounts;
  return [
    `model ${result.tag} (${result.kind}, id ${result.modelId}): candidate ${result.selected}, best on validation ${result.selectBy} of ${result.candidates.length} candidate(s)`,
    `trained on ${counts.fit} beats (${counts.fit - counts.fitAnomalous} normal), validated on ${counts.validation}, in ${result.trainingMs} ms on ${result.backend}`,
    `threshold ${fixed(result.threshold, 5)}; held-out ${m.count} beats: accuracy ${fixed(m.accuracy)}, precision ${fixed(m.precision)}, recall ${fixed(m.recall)}, F1 ${fixed(m.f1)}, ROC-AUC ${fixed(m.rocAuc)}`,
    `confusion (anomalous = positive): TP ${m.confusionMatrix.tp}, FP ${m.confusionMatrix.fp}, TN ${m.confusionMatrix.tn}, FN ${m.confusionMatrix.fn}`,
    ...(perClass ? [`flagged per UCR class: ${perClass}`] : []),
    '',
    table(
      ['candidate', 'kind', 'status', 'val ROC-AUC', 'val F1', 'val accuracy', 'threshold', 'ms', ''],
      result.candidates.map((c) => [c.name, c.kind, c.status, fixed(c.validation?.rocAuc), fixed(c.validation?.f1), fixed(c.validation?.accuracy), fixed(c.threshold, 5), c.trainingMs, c.selected ? 'selected' : '']),
    ),
  ].join('\n');
}
