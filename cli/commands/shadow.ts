import { dayRangeOf } from '../../common/dates';
import { chooseShadowModels, shadowReport, ShadowModelMissing, type ShadowCounts } from '../../db/queries/shadow';
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
  const { production, staging } = await modelsOf(ctx, options);
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

async function modelsOf(ctx: CliContext, options: ShadowReportOptions): ReturnType<typeof chooseShadowModels> {
  try {
    return await chooseShadowModels(ctx.database(), options);
  } catch (error) {
    if (!(error instanceof ShadowModelMissing)) throw error;
    throw new CliError(error.tag === undefined ? `${error.message}; name one with --${error.stage} T` : `${error.message} (ecgflow models lists them)`);
  }
}
