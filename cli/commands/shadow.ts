import { dayRangeOf } from '../../common/dates';
import { findModelOwner } from '../../db/queries/models';
import { findModelTagsInStage, shadowReport, type ShadowCounts } from '../../db/queries/shadow';
import type { ModelStage } from '../../db/database';
import type { CliContext } from '../context';
import { CliError, fixed, printResult, table } from '../output';

export interface ShadowReportOptions {
  from: string;
  to: string;
  production?: string;
  staging?: string;
}

export async function runShadowReport(ctx: CliContext, options: ShadowReportOptions, json: boolean): Promise<void> {
  const range = dayRangeOf({ from: options.from, to: options.to });
  const db = ctx.database();
  const production = await modelOf(ctx, options.production, 'production');
  const staging = await modelOf(ctx, options.staging, 'staging');
  const report = await shadowReport(db, { range, production, staging });
  printResult(json, report, () =>
    [
      `production ${report.production} vs staging ${report.staging}, ${range.from} to ${range.to}`,
      table(
        ['day', 'beats', 'both scored', 'agreement', 'prod-only anomalies', 'staging-only anomalies', 'labelled', 'prod accuracy', 'staging accuracy'],
        [...report.days.map((d) => row(d.day, d)), row('total', report.total)],
      ),
    ].join('\n'),
  );
}

function row(label: string, c: ShadowCounts): (string | number)[] {
  return [label, c.beats, c.bothScored, fixed(c.agreementRate), c.productionOnlyAnomalies, c.stagingOnlyAnomalies, c.labelled, fixed(c.productionAccuracy), fixed(c.stagingAccuracy)];
}

async function modelOf(ctx: CliContext, tag: string | undefined, stage: ModelStage): Promise<{ id: number; tag: string }> {
  const chosen = tag ?? (await findModelTagsInStage(ctx.database(), stage))[0];
  if (chosen === undefined) throw new CliError(`no model is in ${stage}; name one with --${stage} T`);
  const model = await findModelOwner(ctx.database(), chosen);
  if (!model) throw new CliError(`no model is tagged "${chosen}" (ecgflow models lists them)`);
  return { id: model.id, tag: chosen };
}
