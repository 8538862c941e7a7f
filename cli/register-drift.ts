import type { Command } from 'commander';
import { action, decimal, integer } from './program';

// Command modules load on use, so `--help` does not pay for Temporal.
const commands = {
  drift: () => import('./commands/drift'),
};

/** The drift commands; each command module loads on use, as in main.ts. */
export function registerDriftCommands(program: Command): void {
  program
    .command('drift')
    .description("compare the beats of a day (or days) with the model's training baseline: PSI per sample position, KS on scores, anomaly rate (workflow drift-<day>-<tag>)")
    .option('--date <day>', 'the day to check (YYYY-MM-DD)')
    .option('--from <day>', 'first day, inclusive')
    .option('--to <day>', 'last day, inclusive')
    .option('--model <tag>', 'the model (default: the production model, else the newest)')
    .option('--psi-moderate <x>', 'PSI at or above which a position shifted moderately (default 0.1)', decimal(1e-6, 100))
    .option('--psi-severe <x>', 'PSI at or above which a position shifted severely (default 0.25)', decimal(1e-6, 100))
    .option('--drifted-share <x>', 'share of positions that must shift for a verdict (default 0.2)', decimal(1e-6, 1))
    .option('--ks-p-value <x>', 'a KS test on scores below this p-value is severe drift; 0 turns it off (default 0.001)', decimal(0, 0.999999))
    .option('--min-sample-size <n>', 'fewer beats than this are insufficient for a verdict (default 200)', integer(1))
    .option('--json', 'print one JSON value')
    .action(
      action(async (ctx, o: DriftCommandOptions) => {
        const { json, ...options } = o;
        return (await commands.drift()).runDrift(ctx, options, Boolean(json));
      }),
    );
}

interface DriftCommandOptions {
  date?: string;
  from?: string;
  to?: string;
  model?: string;
  psiModerate?: number;
  psiSevere?: number;
  driftedShare?: number;
  ksPValue?: number;
  minSampleSize?: number;
  json?: boolean;
}
