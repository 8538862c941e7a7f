import type { ChartDataset } from 'chart.js';
import type { DriftPosition } from '../types';
import { COLORS } from './colors';
import { drawChart } from './setup';

const WINDOW = { line: COLORS.original, band: 'rgba(29, 78, 216, 0.15)' };
const BASELINE = { line: COLORS.template, band: COLORS.templateBand };

/**
 * The window's mean beat against the baseline's, each with a band of one standard deviation (the
 * baseline dashed, so the two differ by more than hue). Where they part is where the beats changed.
 * Returns false, drawing nothing, when the report kept no mean beat.
 */
export function drawMeanBeatChart(canvas: HTMLCanvasElement, positions: DriftPosition[]): boolean {
  const hasWindow = positions.length > 0 && positions.every((p) => p.windowMean !== null && p.windowSd !== null);
  const hasBaseline = positions.every((p) => p.baselineMean !== null && p.baselineSd !== null);
  if (!hasWindow) return false;
  const series = (mean: (p: DriftPosition) => number, sd: (p: DriftPosition) => number, name: string, colors: { line: string; band: string }, dash: number[]): ChartDataset<'line', number[]>[] => [
    { label: `${name} mean`, data: positions.map(mean), borderColor: colors.line, backgroundColor: colors.line, borderWidth: 2, pointRadius: 0, borderDash: dash },
    { label: `${name} ±1 sd`, data: positions.map((p) => mean(p) + sd(p)), borderColor: 'transparent', backgroundColor: colors.band, pointRadius: 0, fill: '+1' },
    { label: `${name} band lower edge`, data: positions.map((p) => mean(p) - sd(p)), borderColor: 'transparent', backgroundColor: colors.band, pointRadius: 0, fill: false },
  ];
  const datasets = [
    ...series((p) => p.windowMean!, (p) => p.windowSd!, 'Window', WINDOW, []),
    ...(hasBaseline ? series((p) => p.baselineMean!, (p) => p.baselineSd!, 'Baseline', BASELINE, [6, 3]) : []),
  ];
  drawChart(
    canvas,
    {
      type: 'line',
      data: { labels: positions.map((p) => p.position), datasets },
      options: {
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { title: { display: true, text: 'Sample position' }, ticks: { maxTicksLimit: 15 }, grid: { color: COLORS.grid } },
          y: { title: { display: true, text: 'Amplitude' }, grid: { color: COLORS.grid } },
        },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 18, filter: (item) => !item.text.endsWith('band lower edge') } } },
      },
    },
    hasBaseline
      ? `The window's mean beat of ${positions.length} samples with a band of one standard deviation, over the baseline's`
      : `The window's mean beat of ${positions.length} samples with a band of one standard deviation; the baseline kept no mean beat`,
  );
  return true;
}
