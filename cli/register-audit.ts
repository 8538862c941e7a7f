import type { Command } from 'commander';
import { action, integer } from './program';

// Command modules load on use, so `--help` does not pay for Temporal.
const commands = {
  archive: () => import('./commands/audit-archive'),
  verify: () => import('./commands/audit-verify'),
};

/** The audit commands (`ecgflow audit …`); each command module loads on use, as in main.ts. */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the audit trail kept in MySQL beside Temporal');
  audit
    .command('archive')
    .description("copy the event histories of closed runs from Temporal into MySQL now (workflow archiveHistories; the schedule ecgflow-archive does it every 5 minutes) and wait")
    .option('--batch-size <n>', 'runs per activity (default 100)', integer(1, 1000))
    .option('--max-batches <n>', 'batches in this run (default 20)', integer(1, 10_000))
    .option('--json', 'print one JSON value')
    .action(
      action(async (ctx, o: { batchSize?: number; maxBatches?: number; json?: boolean }) =>
        (await commands.archive()).runAuditArchive(ctx, { batchSize: o.batchSize, maxBatches: o.maxBatches }, Boolean(o.json)),
      ),
    );
  audit
    .command('verify')
    .description('walk the hash chain of the audit tables; exit 0 when it is whole, else 3 with one line naming the first altered, removed or inserted row or ledger entry')
    .option('--max-problems <n>', 'problems listed at most, all counted (default 20)', integer(1, 10_000))
    .option('--json', 'print one JSON value (the report), whole or not')
    .action(action(async (ctx, o: { maxProblems?: number; json?: boolean }) => (await commands.verify()).runAuditVerify(ctx, { maxProblems: o.maxProblems }, Boolean(o.json))));
}
