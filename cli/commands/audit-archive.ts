import { startHistoryArchive } from '../../client/archive';
import type { archiveHistories } from '../../workflows/archiveHistories';
import type { CliContext } from '../context';
import { printResult } from '../output';
import { waitForResult } from '../wait';
import type { ArchiveHistoriesInput } from '../../contracts/workflows/archive-histories';

/** Runs the history archiver once and prints what it stored. */
export async function runAuditArchive(ctx: CliContext, input: ArchiveHistoriesInput, json: boolean): Promise<void> {
  const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as ArchiveHistoriesInput;
  const handle = await startHistoryArchive(await ctx.temporal(), ctx.config, given);
  const result = await waitForResult<typeof archiveHistories>(handle, { uiUrl: ctx.config.TEMPORAL_UI_URL });
  printResult(json, { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, ...result }, () => {
    const lines = [
      `archived ${result.archived} run histories (${kib(result.jsonBytes)} of history JSON stored as ${kib(result.storedBytes)} gzipped)` +
        (result.alreadyArchived > 0 ? `; ${result.alreadyArchived} were archived already` : ''),
    ];
    if (result.unarchivableCount > 0) {
      lines.push(`${result.unarchivableCount} closed runs are no longer in Temporal and could not be archived (recorded as unarchivable):`);
      for (const run of result.unarchivable) lines.push(`  ${run.workflowId} ${run.runId}`);
    }
    if (result.notClosedYet > 0) lines.push(`${result.notClosedYet} runs have recorded their end but not closed in Temporal yet; the next run archives them`);
    if (result.more) lines.push('more closed runs wait; the next run of the archive schedule (or ecgflow audit archive) takes them');
    return lines.join('\n');
  });
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
