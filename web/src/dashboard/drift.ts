import { api } from '../api';
import { drawPsiChart } from '../charts/psi-chart';
import { clearChart } from '../charts/setup';
import { byId, el, showError } from '../dom';
import { dateTime, decimal, percent } from '../format';
import type { DriftReport, DriftReportDetail } from '../types';

/** The newest drift report: its verdict in words and its PSI per sample position as bars. */
export async function loadLatestDrift(): Promise<void> {
  const summary = byId('drift-summary');
  const canvas = byId<HTMLCanvasElement>('psi-chart');
  try {
    const { items } = await api<{ items: DriftReport[] }>('/drift-reports?limit=1');
    const latest = items[0];
    if (!latest) {
      summary.replaceChildren(el('p', { class: 'muted' }, 'No drift report yet: the daily pipeline writes one after scoring.'));
      canvas.closest('figure')?.setAttribute('hidden', '');
      clearChart(canvas);
      return;
    }
    const report = await api<DriftReportDetail>(`/drift-reports/${latest.id}`);
    summary.replaceChildren(
      el(
        'p',
        {},
        'Verdict ',
        el('span', { class: `badge band-${report.status}` }, report.status),
        ` for ${report.modelTag} over ${dateTime(report.rangeFrom)} – ${dateTime(report.rangeTo)}: `,
        `${report.sampleSize} beats, ${percent(report.driftedShare)} of positions drifted, max PSI ${decimal(report.psiMax)}, `,
        `anomaly rate ${percent(report.anomalyRate)} (baseline ${percent(report.baselineAnomalyRate)}).`,
      ),
    );
    if (report.positions.length) drawPsiChart(canvas, report.positions);
    else {
      clearChart(canvas);
      summary.append(el('p', { class: 'muted' }, 'This report has no PSI per position: it had too few beats to compare with the baseline.'));
    }
  } catch (error) {
    summary.replaceChildren();
    showError(byId('drift-error'), error, 'Could not load the latest drift report');
  }
}
