import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/** One line of the chaos table: what was broken, when, how the run ended, what the database holds. */
export interface ScenarioReport {
  scenario: string;
  killed: string;
  when: string;
  outcome: string;
  counts: string;
}

/** Prints the scenario's line now and keeps it for the table printed after the last file. */
export function recordScenario(reportPath: string, report: ScenarioReport): void {
  console.log(`[chaos] ${report.scenario}: killed ${report.killed} ${report.when}; ${report.outcome}; ${report.counts}`);
  appendFileSync(reportPath, JSON.stringify(report) + '\n');
}

export function formatReportTable(reportPath: string): string {
  if (!existsSync(reportPath)) return 'chaos: no scenario reported';
  const rows = readFileSync(reportPath, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as ScenarioReport);
  const columns = ['scenario', 'killed', 'when', 'outcome', 'counts'] as const;
  const width = Object.fromEntries(columns.map((c) => [c, Math.max(c.length, ...rows.map((r) => r[c].length))])) as Record<(typeof columns)[number], number>;
  const line = (cells: Record<(typeof columns)[number], string>) => columns.map((c) => cells[c].padEnd(width[c])).join(' | ');
  const header = line({ scenario: 'scenario', killed: 'killed', when: 'when', outcome: 'outcome', counts: 'counts' });
  return [header, columns.map((c) => '-'.repeat(width[c])).join('-|-'), ...rows.map(line)].join('\n');
}
