import type { ChartDataset } from 'chart.js';
import { COLORS, SERIES_COLORS } from './colors';
import { drawChart } from './setup';

export interface CurveSeries {
  label: string;
  x: number[];
  y: number[];
  /** The series the card is about is drawn thicker. */
  emphasised?: boolean;
}

export interface CurveAxes {
  x: string;
  y: string;
  /** Both axes run 0..1 (ROC, precision–recall); otherwise they fit the data (loss per epoch). */
  unit?: boolean;
}

/**
 * Lines through (x, y) points on linear axes, one per series, told apart by hue and dash: ROC and
 * precision–recall curves of candidates, or their loss per epoch.
 */
export function drawCurveChart(canvas: HTMLCanvasElement, series: CurveSeries[], axes: CurveAxes, summary: string): void {
  const datasets: ChartDataset<'line', { x: number; y: number }[]>[] = series.map((s, i) => {
    const color = SERIES_COLORS[i % SERIES_COLORS.length]!;
    return {
      label: s.label,
      data: s.x.map((x, k) => ({ x, y: s.y[k]! })),
      borderColor: color,
      backgroundColor: color,
      borderWidth: s.emphasised ? 3 : 1.5,
      borderDash: i % 2 === 1 ? [6, 3] : [],
      pointRadius: 0,
    };
  });
  const range = axes.unit ? { min: 0, max: 1 } : {};
  drawChart(
    canvas,
    {
      type: 'line',
      data: { datasets },
      options: {
        parsing: false,
        interaction: { mode: 'nearest', intersect: false },
        scales: {
          x: { type: 'linear', ...range, title: { display: true, text: axes.x }, grid: { color: COLORS.grid } },
          y: { ...range, title: { display: true, text: axes.y }, grid: { color: COLORS.grid } },
        },
        plugins: { legend: { position: 'bottom' } },
      },
    },
    summary,
  );
}
