import type { IngestReport } from './ingest';

/** Enough to fix a file by hand; beyond that a report would only grow with the file. */
export const REJECTED_LIST_LIMIT = 1000;

/** How many bad rows an error message spells out before summarising the rest. */
const ROWS_IN_MESSAGE = 5;

export class RejectedRows {
  readonly list: { row: number; reason: string }[] = [];
  total = 0;

  add(row: number, reason: string): void {
    this.total += 1;
    if (this.list.length < REJECTED_LIST_LIMIT) this.list.push({ row, reason });
  }
}

/** e.g. `3 bad rows in ecg.csv, nothing written: row 7: ...; row 9: ...; row 12: ...` */
export function describeRejectedFile(fileName: string, report: IngestReport): string {
  const shown = report.rejected.slice(0, ROWS_IN_MESSAGE).map((r) => `row ${r.row}: ${r.reason}`);
  const more = report.rejectedTotal - shown.length;
  const rows = report.rejectedTotal === 1 ? '1 bad row' : `${report.rejectedTotal} bad rows`;
  return `${rows} in ${fileName}, nothing written: ${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}
