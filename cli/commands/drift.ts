import { startDriftDetection } from '../../client/pipelines';
import { dayRangeOf, type DayRange } from '../../common/dates';
import { resolveDriftPolicy } from '../../ml/drift/policy';
import type { CliContext } from '../context';
import { fixed, printResult } from '../output';
import { pendingActivityDetails, waitForResult } from '../wait';
import { modelTagToUse } from './infer';
import type { DriftResult } from '../../contracts/workflows/detect-drift';
import type { DriftPolicy } from '../../ml/drift/policy';

export interface DriftOptions extends Partial<DriftPolicy> {
  date?: string;
  from?: string;
  to?: string;
  model?: string;
}

export async function runDrift(ctx: CliContext, options: DriftOptions, json: boolean): Promise<void> {
  const { date, from, to, model, ...policyFlags } = options;
  dayRangeOf({ date, from, to });
  const policy = Object.fromEntries(Object.entries(policyFlags).filter(([, v]) => v !== undefined)) as Partial<DriftPolicy>;
  const resolved = resolveDriftPolicy(policy);
  const modelTag = await modelTagToUse(ctx, model);
  const client = await ctx.temporal();
  const { handle, range } = await startDriftDetection(client, ctx.config, { date, from, to, modelTag, policy });
  const result = await waitForResult(handle, {
    uiUrl: ctx.config.TEMPORAL_UI_URL,
    progress: async () => {
      const p = (await pendingActivityDetails(handle)) as { pass?: string; beatsRead?: number } | undefined;
      if (p?.pass) return `profiling the training window of ${modelTag} (${p.pass}): ${p.beatsRead} beats`;
      return p?.beatsRead !== undefined ? `checking drift against ${modelTag}: ${p.beatsRead} beats read` : `checking drift against ${modelTag}…`;
    },
  });
  printResult(json, { workflowId: handle.workflowId, range, ...result }, () => describeDrift(result, range, resolved, handle.workflowId));
}

export function describeDrift(r: DriftResult, range: DayRange, policy: DriftPolicy, workflowId: string): string {
  const days = range.from === range.to ? range.from : `${range.from} to ${range.to}`;
  const footer = `report ${r.reportId}, workflow ${workflowId}`;
  const rates = `anomaly rate ${percent(r.anomalyRate)} (baseline ${percent(r.baselineAnomalyRate)})`;
  if (r.status === 'insufficient') {
    return [`${days} against ${r.modelTag}: insufficient data, ${r.sampleSize} beats (at least ${policy.minSampleSize} needed)`, rates, footer].join('\n');
  }
  return [
    `${days} against ${r.modelTag}: ${r.status === 'none' ? 'no drift' : `${r.status} drift`} (${r.sampleSize} beats)`,
    `positions with PSI >= ${policy.psiSevere}: ${percent(r.driftedShare)}, >= ${policy.psiModerate}: ${percent(r.moderateShare)}; PSI max ${fixed(r.psiMax, 3)}`,
    `KS test on scores: D = ${fixed(r.ksStatistic, 3)}, ${pValue(r.ksPValue)}`,
    rates,
    footer,
  ].join('\n');
}

function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : `${(100 * value).toFixed(1)}%`;
}

/** The p-value comes from 1 - CDF in double precision, so an exact 0 means below about 1e-15. */
function pValue(p: number | null): string {
  if (p === null) return 'p = -';
  if (p === 0) return 'p < 1e-15';
  return p < 0.001 ? `p = ${p.toExponential(1)}` : `p = ${p.toFixed(3)}`;
}
