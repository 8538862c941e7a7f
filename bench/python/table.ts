// Formats the comparison: one column per run, the project's runs rated against Python's.
import type { RunResult } from './project-run';

export interface Column {
  name: string;
  run: RunResult;
}

export interface Goal {
  /** Project training time / Python training time. */
  trainingTimeRatio: number;
  /** Project scoring throughput / Python scoring throughput. */
  scoringThroughputRatio: number;
  trainingMet: boolean;
  scoringMet: boolean;
}

export function rate(project: RunResult, python: RunResult): Goal {
  const trainingTimeRatio = project.trainingMs / python.trainingMs;
  const scoringThroughputRatio = project.scoringBeatsPerSecond / python.scoringBeatsPerSecond;
  return { trainingTimeRatio, scoringThroughputRatio, trainingMet: trainingTimeRatio <= 1, scoringMet: scoringThroughputRatio >= 1 };
}

export function formatTable(columns: Column[], python: Column | null, epochs: number, batchSize: number, scoreRows: number, trainingRounds: number): string {
  const all = python ? [...columns, python] : columns;
  const rows: string[][] = [
    ['', ...all.map((c) => c.name)],
    [`training ms (${epochs} epochs, batch ${batchSize}; best of ${trainingRounds})`, ...all.map((c) => String(c.run.trainingMs))],
    ['training ms by round', ...all.map((c) => c.run.trainingMsByRound.join(' '))],
    ['final epoch loss (MAE)', ...all.map((c) => c.run.finalLoss.toFixed(4))],
    ['held-out ROC-AUC', ...all.map((c) => c.run.heldOutRocAuc?.toFixed(4) ?? '-')],
    [`scoring beats/s (${scoreRows} beats, best of 3)`, ...all.map((c) => String(c.run.scoringBeatsPerSecond))],
    ['scoring path', ...all.map((c) => c.run.scoringPath)],
  ];
  if (python) {
    const goals = columns.map((c) => rate(c.run, python.run));
    rows.push(
      ['training time project/Python (goal <= 1.0x)', ...goals.map((g) => `${g.trainingTimeRatio.toFixed(2)}x ${g.trainingMet ? 'met' : 'NOT met'}`), ''],
      ['scoring throughput project/Python (goal >= 1.0x)', ...goals.map((g) => `${g.scoringThroughputRatio.toFixed(2)}x ${g.scoringMet ? 'met' : 'NOT met'}`), ''],
    );
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd()).join('\n');
}
