import { Chart, LogarithmicScale, type ChartDataset } from 'chart.js';
import { COLORS } from './colors';
import { drawChart } from './setup';

/** Thresholds in grey, dotted: a reference, not a series. */
const THRESHOLD = '#4b5563';

// The KS chart reads p-values over many orders of magnitude: it needs a log axis, which the shared
// setup leaves out. Registering twice is harmless, and only pages that draw this chart pay for it.
Chart.register(LogarithmicScale);

export interface HistorySeries {
  label: string;
  /** One value per day label; null where that series has no report that day. */
  data: (number | null)[];
  color: string;
  dashed?: boolean;
}

export interface HistoryChartOptions {
  yTitle: string;
  /** Values are shares, shown as percentages. */
  percent?: boolean;
  log?: boolean;
  /** Horizontal reference lines (thresholds), drawn dashed grey. */
  thresholds?: { label: string; value: number }[];
}

/**
 * One measure of the drift history, by day: a line per series (a model, or a model's baseline), with
 * the thresholds that measure is judged against. Gaps stay gaps: a day without a report is not zero.
 */
export function drawHistoryChart(canvas: HTMLCanvasElement, days: string[], series: HistorySeries[], options: HistoryChartOptions, summary: string): void {
  const datasets: ChartDataset<'line', (number | null)[]>[] = series.map((s) => ({
    label: s.label,
    data: s.data,
    borderColor: s.color,
    backgroundColor: s.color,
    borderWidth: 2,
    borderDash: s.dashed ? [6, 3] : [],
    pointRadius: 3,
    spanGaps: false,
  }));
  for (const t of options.thresholds ?? []) {
    datasets.push({ label: t.label, data: days.map(() => t.value), borderColor: THRESHOLD, backgroundColor: THRESHOLD, borderWidth: 1.5, borderDash: [2, 3], pointRadius: 0 });
  }
  const tick = (value: number | string) => (options.percent ? `${Math.round(Number(value) * 100)}%` : options.log ? Number(value).toExponential(0) : String(value));
  drawChart(
    canvas,
    {
      type: 'line',
      data: { labels: days, datasets },
      options: {
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { ticks: { maxTicksLimit: 6, maxRotation: 0 }, grid: { display: false } },
          y: {
            type: options.log ? 'logarithmic' : 'linear',
            title: { display: true, text: options.yTitle },
            ...(options.log ? {} : { beginAtZero: true }),
            ticks: { maxTicksLimit: 5, callback: tick },
            grid: { color: COLORS.grid },
          },
        },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 18, font: { size: 10 } } } },
      },
    },
    summary,
  );
}
