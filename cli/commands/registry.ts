import { decideRetrain, startPromotion, startRetrain, startRollback } from '../../client/registry';
import { findProductionModel } from '../../db/queries/registry';
import { retrainStatusQuery } from '../../workflows/retrain';
import type { CliContext } from '../context';
import { CliError, fixed, printResult } from '../output';
import { waitForResult } from '../wait';
import type { RetrainInput, RetrainResult } from '../../contracts/workflows/retrain';
import type { StageChangeResult } from '../../contracts/workflows/stage-changes';

export interface PromoteOptions {
  tag: string;
  to: 'staging' | 'production';
  reason: string;
  by: string;
  force: boolean;
}

export async function runPromote(ctx: CliContext, options: PromoteOptions, json: boolean): Promise<void> {
  const client = await ctx.temporal();
  const handle = await startPromotion(client, ctx.config, options);
  const change = await waitForResult(handle, { uiUrl: ctx.config.TEMPORAL_UI_URL });
  printResult(json, { workflowId: handle.workflowId, ...change }, () => describeStageChange(change));
}

export async function runRollback(ctx: CliContext, options: { reason?: string; by: string }, json: boolean): Promise<void> {
  const current = await findProductionModel(ctx.database());
  if (!current) throw new CliError('no model is in production, so there is nothing to roll back');
  const client = await ctx.temporal();
  const handle = await startRollback(client, ctx.config, { currentTag: current.tag, reason: options.reason, by: options.by });
  const change = await waitForResult(handle, { uiUrl: ctx.config.TEMPORAL_UI_URL });
  printResult(json, { workflowId: handle.workflowId, ...change }, () => describeStageChange(change));
}

export async function runRetrain(ctx: CliContext, input: RetrainInput, options: { wait: boolean }, json: boolean): Promise<void> {
  const client = await ctx.temporal();
  const handle = await startRetrain(client, ctx.config, input);
  if (!options.wait) {
    printResult(json, { workflowId: handle.workflowId, runId: handle.firstExecutionRunId }, () => `started ${handle.workflowId}; ecgflow approve --tag ${input.tag} or reject it when it waits`);
    return;
  }
  if (input.requireApproval && process.stderr.isTTY !== true) {
    process.stderr.write(`retrain-${input.tag} will wait for ecgflow approve --tag ${input.tag} (or reject) once the challenger passes the gates\n`);
  }
  const result = await waitForResult(handle, {
    uiUrl: ctx.config.TEMPORAL_UI_URL,
    progress: async () => {
      const s = await handle.query(retrainStatusQuery);
      if (s.phase === 'awaiting-approval') return `retraining ${s.tag}: waiting for ecgflow approve --tag ${s.tag} or ecgflow reject --tag ${s.tag} --reason "…"`;
      return `retraining ${s.tag}: ${s.phase}…`;
    },
  });
  printResult(json, { workflowId: handle.workflowId, ...result }, () => describeRetrain(result));
}

export async function runDecide(ctx: CliContext, options: { tag: string; approve: boolean; by: string; reason?: string }, json: boolean): Promise<void> {
  const client = await ctx.temporal();
  const reply = await decideRetrain(client, { tag: options.tag, approve: options.approve, by: options.by, reason: options.reason });
  printResult(json, reply, () => ('pending' in reply ? `retraining ${options.tag}: ${reply.reason}` : describeRetrain(reply)));
}

export function describeStageChange(change: StageChangeResult): string {
  if (!change.changed && change.entries.length === 0) return `model ${change.model.tag} is already in ${change.to}; nothing changed`;
  const lines = change.entries.map((e) => `${e.changedAt}  ${e.tag}: ${e.fromStage ?? '-'} → ${e.toStage}  by ${e.changedBy}: ${e.reason}`);
  return [`model ${change.model.tag} is now in ${change.to}${change.archived ? ` (${change.archived.tag} archived)` : ''}`, ...lines].join('\n');
}

export function describeRetrain(result: RetrainResult): string {
  const line = (role: string, v: { tag: string; metrics: Record<string, unknown> } | null) => {
    if (!v) return `${role}: none`;
    const m = v.metrics as { rocAuc?: number | null; accuracy?: number; f1?: number; count?: number };
    return `${role}: ${v.tag}  ROC-AUC ${fixed(m.rocAuc)}, accuracy ${fixed(m.accuracy)}, F1 ${fixed(m.f1)} on ${m.count ?? '?'} held-out beats`;
  };
  return [
    result.promoted ? `promoted ${result.challenger.tag} to production` : `kept the champion${result.champion ? ` ${result.champion.tag}` : ''}`,
    `reason: ${result.reason}`,
    line('champion', result.champion),
    line('challenger', result.challenger),
  ].join('\n');
}
