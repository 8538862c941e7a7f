import { migrateToLatest } from '../../db/migrate';
import { ingestFile, type IngestOptions } from '../../ingest/ingest';
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
  });
  if (lastShown) process.stderr.write('\r\x1b[2K');
  printResult(json, report, () => {
    const lines = [`${report.source}: ${report.inserted} inserted, ${report.duplicates} duplicates, ${report.rejectedTotal} rejected`];
    for (const r of report.rejected.slice(0, 20)) lines.push(`  row ${r.row}: ${r.reason}`);
    if (report.rejectedTotal > 20) lines.push(`  … and ${report.rejectedTotal - 20} more (use --json for the list)`);
    return lines.join('\n');
  });
}
