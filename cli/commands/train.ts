import type { TrainedModelSummary } from '../../activities/training';
import { startTraining } from '../../client/pipelines';
import type { TrainModelInput } from '../../workflows/trainModel';
import type { CliContext } from '../context';
import { fixed, printResult } from '../output';
import { pendingActivityDetails, waitForResult } from '../wait';

export async function runTrain(ctx: CliContext, input: TrainModelInput, json: boolean): Promise<void> {
  const client = await ctx.temporal();
  const handle = await startTraining(client, ctx.config, input);
  const result = await waitForResult(handle, {
    uiUrl: ctx.config.TEMPORAL_UI_URL,
    progress: async () => {
      const p = (await pendingActivityDetails(handle)) as { epoch?: number; epochs?: number; loss?: number } | undefined;
      return p?.epoch ? `training ${input.tag}: epoch ${p.epoch} of ${p.epochs}, loss ${fixed(p.loss)}` : `training ${input.tag}…`;
    },
  });
  printResult(json, { workflowId: handle.workflowId, ...result }, () => describeTraining(result));
}

export function describeTraining(result: TrainedModelSummary): string {
  const m = result.metrics;
  const perClass = Object.entries(m.perClass)
    .map(([cls, c]) => `class ${cls} ${c.flagged}/${c.count}`)
    .join(', ');
  return [
    `model ${result.tag} (${result.kind}, id ${result.modelId}) trained on ${result.rowCounts.trainNormal} normal beats in ${result.trainingMs} ms on ${result.backend}`,
    `threshold ${fixed(result.threshold, 5)}; held-out ${m.count} beats: accuracy ${fixed(m.accuracy)}, precision ${fixed(m.precision)}, recall ${fixed(m.recall)}, F1 ${fixed(m.f1)}, ROC-AUC ${fixed(m.rocAuc)}`,
    `confusion (anomalous = positive): TP ${m.confusionMatrix.tp}, FP ${m.confusionMatrix.fp}, TN ${m.confusionMatrix.tn}, FN ${m.confusionMatrix.fn}`,
    ...(perClass ? [`flagged per UCR class: ${perClass}`] : []),
  ].join('\n');
}
