import { verifyAuditChain } from '../../db/queries/audit-chain';
import type { CliContext } from '../context';
import { CliError, printResult } from '../output';

/** The exit code of a chain that is not whole; 1 stays for a verify that could not run. */
export const AUDIT_BROKEN_EXIT_CODE = 3;

/** `ecgflow audit verify`: the report, and a non-zero exit naming the first problem when the chain is not whole. */
export async function runAuditVerify(ctx: CliContext, options: { maxProblems?: number }, json: boolean): Promise<void> {
  const report = await verifyAuditChain(ctx.database(), { maxProblems: options.maxProblems });
  const head = report.head ? `head entry ${report.head.seq} ${report.head.hash}` : 'the ledger is empty';
  if (report.ok) {
    printResult(json, report, () => `audit chain whole: ${report.entries} ledger entries, ${report.rows} rows; ${head}`);
    return;
  }
  if (json) printResult(true, report, () => '');
  else if (report.problemCount > 1) process.stdout.write(`${report.problems.map((p) => p.message).join('\n')}${report.problemCount > report.problems.length ? `\n… ${report.problemCount - report.problems.length} more` : ''}\n`);
  const more = report.problemCount > 1 ? ` (${report.problemCount} problems in all)` : '';
  throw new CliError(`${report.firstProblem}${more}`, AUDIT_BROKEN_EXIT_CODE);
}
