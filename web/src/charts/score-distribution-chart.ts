import type { ScoreDistributions } from '../types';
import { COLORS } from './colors';
import { drawChart } from './setup';

/**
 * The two anomaly-score distribution functions the KS test compared, window solid and baseline
 * dashed, with their largest gap as a red bar: the KS statistic, drawn.
 */
export function drawScoreDistributionChart(canvas: HTMLCanvasElement, d: ScoreDistributions, ksStatistic: number | null): void {
  const curve = (scores: number[]) => scores.map((x, i) => ({ x, y: d.levels[i]! }));
  const gap = d.largestGap;
  drawChart(
    canvas,
    {
      type: 'line',
      data: {
        labels: d.levels,
        datasets: [
          { label: 'Window', data: curve(d.window), borderColor: COLORS.original, backgroundColor: COLORS.original, borderWidth: 2, pointRadius: 0 },
          { label: 'Baseline', data: curve(d.baseline), borderColor: COLORS.template, backgroundColor: COLORS.template, borderWidth: 2, pointRadius: 0, borderDash: [6, 3] },
          ...(gap
            ? [{ label: `Largest gap (${Math.abs(gap.window - gap.baseline).toFixed(2)})`, data: [{ x: gap.score, y: gap.window }, { x: gap.score, y: gap.baseline }], borderColor: COLORS.anomalyRate, backgroundColor: COLORS.anomalyRate, borderWidth: 3, pointRadius: 0 }]
            : []),
        ],
      },
      options: {
        scales: {
          x: { type: 'linear', title: { display: true, text: 'Anomaly score' }, grid: { color: COLORS.grid } },
          y: { min: 0, max: 1, title: { display: true, text: 'Share at or below' }, ticks: { callback: (v) => `${Math.round(Number(v) * 100)}%` }, grid: { color: COLORS.grid } },
        },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 18 } } },
      },
    },
    `Anomaly score distributions of the window and the baseline at ${d.levels.length} levels${ksStatistic === null ? '' : `; the KS statistic is ${ksStatistic.toFixed(3)}`}`,
  );
}
