import { migrateToLatest } from '../../db/migrate';
import { IngestError, ingestFile, type IngestOptions, type IngestReport } from '../../ingest/ingest';
import type { CliContext } from '../context';
import { printResult } from '../output';

export async function runMigrate(ctx: CliContext, json: boolean): Promise<void> {
  const report = await migrateToLatest(ctx.database());
  printResult(json, report, () =>
    report.applied.length ? `applied ${report.applied.join(', ')}` : `database ${ctx.config.mysql.database} is up to date`,
  );
}

export async function runIngest(ctx: CliContext, options: IngestOptions, json: boolean): Promise<void> {
  let lastShown = 0;
  const report = await ingestFile(ctx.database(), {
    ...options,
    onProgress: process.stderr.isTTY && !json ? (rows) => {
      if (rows - lastShown >= 10_000) {
        lastShown = rows;
        process.stderr.write(`\r\x1b[2Kread ${rows} rows`);
      }
    } : undefined,
  }).catch((error: unknown) => {
    // A refused file still has a report (its bad rows); --json callers get it on stdout too.
    if (json && error instanceof IngestError && error.report) printReport(true, error.report);
    throw error;
  });
  if (lastShown) process.stderr.write('\r\x1b[2K');
  printReport(json, report);
}

function printReport(json: boolean, report: IngestReport): void {
  printResult(json, report, () => {
    const lines = [`${report.source}: ${report.inserted} inserted, ${report.duplicates} duplicates, ${report.rejectedTotal} rejected`];
    for (const r of report.rejected.slice(0, 20)) lines.push(`  row ${r.row}: ${r.reason}`);
    if (report.rejectedTotal > 20) lines.push(`  … and ${report.rejectedTotal - 20} more (use --json for the list)`);
    return lines.join('\n');
  });
}
