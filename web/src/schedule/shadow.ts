import type { ShadowCounts, ShadowReport } from '../../../contracts/api/schedule';
import { api, query } from '../api';
import { byId, clearError, el, showError } from '../dom';
import { percent } from '../format';

export interface ShadowChoice {
  from: string;
  to: string;
  /** Tags from the link; unset: the model in production and the newest in staging. */
  production: string | null;
  staging: string | null;
}

/** The shadow report for the chosen days: what staging would have decided differently from production. */
export async function showShadowReport(choice: ShadowChoice): Promise<void> {
  const table = byId<HTMLTableElement>('shadow-table');
  const error = byId('shadow-error');
  const models = byId('shadow-models');
  clearError(error);
  try {
    const report = await api<ShadowReport>(`/shadow-report${query({ ...choice })}`);
    models.textContent = `Staging ${report.staging} against production ${report.production}, ${report.from} to ${report.to} (UTC days): beats both scored, and where their decisions differ.`;
    table.tBodies[0]!.replaceChildren(...report.days.map((d) => rowOf(d.day, d)));
    table.tFoot!.replaceChildren(rowOf('Total', report.total, true));
    table.hidden = false;
  } catch (e) {
    table.hidden = true;
    models.textContent = '';
    showError(error, e, 'Could not make the shadow report');
  }
}

function rowOf(label: string, c: ShadowCounts, total = false): HTMLTableRowElement {
  return el(
    'tr',
    { 'data-day': total ? 'total' : label },
    el('th', { scope: 'row' }, label),
    el('td', {}, c.beats),
    el('td', {}, c.bothScored),
    el('td', {}, percent(c.agreementRate)),
    el('td', {}, c.productionOnlyAnomalies),
    el('td', {}, c.stagingOnlyAnomalies),
    el('td', {}, c.labelled),
    el('td', {}, percent(c.productionAccuracy)),
    el('td', {}, percent(c.stagingAccuracy)),
  );
}
