import { userInfo } from 'node:os';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { action, decimal, integer } from './program';
import { GATE_METRICS } from '../common/retrain-gates';
import { CANDIDATE_SETS } from '../ml/planning/candidates';
import type { GateOverrides } from '../contracts/workflows/retrain';
import type { PromoteModelInput } from '../contracts/workflows/stage-changes';
import type { TrainingOptions } from '../contracts/workflows/train-model';

// Command modules load on use, so `--help` does not pay for Temporal.
const commands = {
  registry: () => import('./commands/registry'),
};

/** Who is acting, for the stage history and retrain decisions; --by overrides it. */
function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

function duration(value: string): string {
  if (!/^\d+(\.\d+)?\s*(ms|s|m|h|d|w|y|seconds?|minutes?|hours?|days?|weeks?)?$/i.test(value.trim())) {
    throw new InvalidArgumentError(`expected a duration such as 30m, 24h or 7d, got "${value}"`);
  }
  return value.trim();
}

/** The registry commands; each command module loads on use, as in main.ts. */
export function registerRegistryCommands(program: Command): void {
  program
    .command('promote')
    .description('move a model to production (archiving the current one) or staging, recording who and why (workflow promote-<tag>-<stage>)')
    .requiredOption('--tag <tag>', 'the model to promote')
    .requiredOption('--reason <text>', 'why, for the stage history')
    .addOption(new Option('--to <stage>', 'the target stage').choices(['staging', 'production']).default('production'))
    .option('--by <name>', 'who promotes (default: the OS user)')
    .option('--force', 'promote to production past the gates against the champion; the stage history records that it was forced, and why')
    .option('--json', 'print one JSON value')
    .action(
      action(async (ctx, o: { tag: string; reason: string; to: NonNullable<PromoteModelInput['to']>; by?: string; force?: boolean; json?: boolean }) =>
        (await commands.registry()).runPromote(ctx, { tag: o.tag, reason: o.reason, to: o.to, by: o.by ?? osUser(), force: Boolean(o.force) }, Boolean(o.json)),
      ),
    );

  program
    .command('rollback')
    .description('put the previous production model back into production and archive the current one (workflow rollback-<current tag>)')
    .option('--reason <text>', 'why, for the stage history (default "rollback")')
    .option('--by <name>', 'who rolls back (default: the OS user)')
    .option('--json', 'print one JSON value')
    .action(
      action(async (ctx, o: { reason?: string; by?: string; json?: boolean }) =>
        (await commands.registry()).runRollback(ctx, { reason: o.reason, by: o.by ?? osUser() }, Boolean(o.json)),
      ),
    );

  program
    .command('retrain')
    .description('train a challenger under a new tag, compare it with the production model on the same held-out beats, promote it if it passes the gates (workflow retrain-<tag>)')
    .requiredOption('--tag <tag>', "the challenger's tag")
    .option('--from <day>', 'first training day, inclusive (default: all)')
    .option('--to <day>', 'last training day, inclusive (default: all)')
    .option('--no-include-reviewed', 'train on ingested labels only, ignoring reviews')
    .option('--no-auto-promote', 'never promote to production; a challenger that passes goes to staging')
    .option('--require-approval', 'wait for ecgflow approve/reject before promoting')
    .option('--approval-timeout <duration>', 'reject when nobody decides within this time (default 7d)', duration)
    .option('--approvers <n>', 'distinct people who must approve, none of them the requester (default 1)', integer(1, 5))
    .addOption(new Option('--gate-metric <metric>', 'the metric compared with the champion (default rocAuc)').choices(GATE_METRICS))
    .option('--min-roc-auc <x>', 'minimum ROC-AUC of the challenger (default 0.9)', decimal(0, 1))
    .option('--min-accuracy <x>', 'minimum accuracy of the challenger (default 0.85)', decimal(0, 1))
    .option('--max-regression <x>', 'how far the challenger may trail the champion on the gate metric (default 0.01)', decimal(0, 1))
    .option('--epochs <n>', 'training epochs of the challenger', integer(1, 10_000))
    .addOption(new Option('--candidates <set>', "the challenger's candidates: the baseline autoencoder alone, or all (default all)").choices(CANDIDATE_SETS))
    .option('--by <name>', 'who retrains (default: the OS user)')
    .option('--no-wait', 'print the started workflow and return')
    .option('--json', 'print one JSON value')
    .action(
      action(
        async (
          ctx,
          o: {
            tag: string; from?: string; to?: string; includeReviewed: boolean; autoPromote: boolean; requireApproval?: boolean; approvalTimeout?: string; approvers?: number;
            gateMetric?: GateOverrides['metric']; minRocAuc?: number; minAccuracy?: number; maxRegression?: number; epochs?: number; candidates?: TrainingOptions['candidates']; by?: string; wait: boolean; json?: boolean;
          },
        ) =>
          (await commands.registry()).runRetrain(
            ctx,
            {
              tag: o.tag,
              from: o.from,
              to: o.to,
              includeReviewed: o.includeReviewed,
              autoPromote: o.autoPromote,
              requireApproval: Boolean(o.requireApproval),
              approvalTimeout: o.approvalTimeout,
              approvers: o.approvers,
              gates: { metric: o.gateMetric, minRocAuc: o.minRocAuc, minAccuracy: o.minAccuracy, maxRegression: o.maxRegression },
              requestedBy: o.by ?? osUser(),
              training: Object.fromEntries(Object.entries({ epochs: o.epochs, candidates: o.candidates }).filter(([, v]) => v !== undefined)),
            },
            { wait: o.wait },
            Boolean(o.json),
          ),
      ),
    );

  program
    .command('approve')
    .description('approve the retraining retrain-<tag> that waits for a person: its challenger is promoted')
    .requiredOption('--tag <tag>', "the challenger's tag")
    .option('--reason <text>', 'a note for the record')
    .option('--by <name>', 'who approves (default: the OS user)')
    .option('--json', 'print one JSON value')
    .action(
      action(async (ctx, o: { tag: string; reason?: string; by?: string; json?: boolean }) =>
        (await commands.registry()).runDecide(ctx, { tag: o.tag, approve: true, reason: o.reason, by: o.by ?? osUser() }, Boolean(o.json)),
      ),
    );

  program
    .command('reject')
    .description('reject the retraining retrain-<tag> that waits for a person: the champion stays')
    .requiredOption('--tag <tag>', "the challenger's tag")
    .requiredOption('--reason <text>', 'why, for the record')
    .option('--by <name>', 'who rejects (default: the OS user)')
    .option('--json', 'print one JSON value')
    .action(
      action(async (ctx, o: { tag: string; reason: string; by?: string; json?: boolean }) =>
        (await commands.registry()).runDecide(ctx, { tag: o.tag, approve: false, reason: o.reason, by: o.by ?? osUser() }, Boolean(o.json)),
      ),
    );
}
