import { startScoring } from '../../client/pipelines';
import { dayRangeOf } from '../../common/dates';
import { chooseModel } from '../../db/queries/models';
import { scoreProgressQuery } from '../../workflows/scoreBatch';
import type { CliContext } from '../context';
import { CliError, printResult } from '../output';
import { waitForResult } from '../wait';
import type { ScoreBatchResult } from '../../contracts/workflows/score-batch';

export interface InferOptions {
  date?: string;
  from?: string;
  to?: string;
  model?: string;
  chunkSize?: number;
}

export async function runInfer(ctx: CliContext, options: InferOptions, json: boolean): Promise<void> {
  dayRangeOf(options);
  const modelTag = await modelTagToUse(ctx, options.model);
  const client = await ctx.temporal();
  const { handle } = await startScoring(client, ctx.config, {
    date: options.date,
    from: options.from,
    to: options.to,
    modelTag,
    chunkSize: options.chunkSize,
  });
  const result = await waitForResult(handle, {
    uiUrl: ctx.config.TEMPORAL_UI_URL,
    progress: async () => {
      const p = await handle.query(scoreProgressQuery);
      return `scoring with ${modelTag}: chunk ${p.chunksDone} of ${p.chunksPlanned}, ${p.scored} beats scored, ${p.anomalies} anomalies`;
    },
  });
  printResult(json, { workflowId: handle.workflowId, ...result }, () => describeScoring(result));
}

export function describeScoring(r: ScoreBatchResult): string {
  const days = r.range.from === r.range.to ? r.range.from : `${r.range.from} to ${r.range.to}`;
  const rate = r.scored ? ` (${((100 * r.anomalies) / r.scored).toFixed(1)}%)` : '';
  return `${days}: ${r.scored} beats scored with ${r.modelTag}, ${r.anomalies} anomalies${rate}`;
}

/** The workflow id names the model, so the default model is resolved before starting. */
export async function modelTagToUse(ctx: CliContext, requested: string | undefined): Promise<string> {
  const choice = await chooseModel(ctx.database(), requested);
  if ('model' in choice) return choice.model.tag;
  throw new CliError(choice.missing === 'tag' ? `no model is tagged "${choice.tag}" (ecgflow models lists them)` : 'no model has been trained yet; run ecgflow train --tag T first');
}
