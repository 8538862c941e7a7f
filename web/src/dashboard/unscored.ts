import { api } from '../api';
import { byId, showError } from '../dom';
import { unscoredDayRow } from '../unscored-day-row';
import type { UnscoredDays } from '../types';

const SHOWN = 30;

/** The days with beats the production model has not scored: a skipped day shows here, not only in /metrics. */
export async function loadUnscoredDays(): Promise<void> {
  const table = byId<HTMLTableElement>('unscored-table');
  const summary = byId('unscored-summary');
  try {
    const report = await api<UnscoredDays>(`/pipeline/unscored-days?limit=${SHOWN}`);
    table.hidden = report.days.length === 0;
    summary.textContent = summaryOf(report);
    summary.dataset.total = String(report.total);
    table.tBodies[0]!.replaceChildren(...report.days.map(unscoredDayRow));
  } catch (error) {
    summary.hidden = true;
    showError(byId('unscored-error'), error, 'Could not check for unscored days');
  }
}

function summaryOf(report: UnscoredDays): string {
  if (!report.productionModel) return 'No model is in production, so no day can be scored by it.';
  const model = report.productionModel.tag;
  if (report.total === 0) return `Every day with beats up to ${report.checkedThrough} is scored by ${model}.`;
  const days = report.total === 1 ? '1 day' : `${report.total} days`;
  const shown = report.total > report.days.length ? ` (the newest ${report.days.length} shown)` : '';
  return `${days} up to ${report.checkedThrough} not scored by ${model}${shown}.`;
}
