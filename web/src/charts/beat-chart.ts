import type { ChartDataset } from 'chart.js';
import type { BeatPrediction } from '../types';
import { COLORS } from './colors';
import { drawChart } from './setup';

/** Both charts give their y axis the same width, so sample positions line up between the beat and its attribution. */
const alignYAxis = (axis: { width: number }) => {
  axis.width = 64;
};

/**
 * One beat: its 140 samples, the model's reconstruction (autoencoders only) and the absolute
 * error between the two, and the typical normal beat of the model's training rows (mean and band)
 * when the model kept one, so a reviewer sees where the beat departs from normal.
 */
export function drawBeatChart(canvas: HTMLCanvasElement, samples: number[], prediction: BeatPrediction | undefined): void {
  const datasets: ChartDataset<'line', number[]>[] = [
    { label: 'Original samples', data: samples, borderColor: COLORS.original, backgroundColor: COLORS.original, borderWidth: 2, pointRadius: 0 },
  ];
  if (prediction?.reconstruction) {
    datasets.push({ label: `Reconstruction (${prediction.modelTag})`, data: prediction.reconstruction, borderColor: COLORS.reconstruction, backgroundColor: COLORS.reconstruction, borderWidth: 2, pointRadius: 0, borderDash: [6, 4] });
  }
  if (prediction?.absoluteError) {
    datasets.push({ label: 'Absolute error', data: prediction.absoluteError, borderColor: COLORS.error, backgroundColor: 'rgba(75, 85, 99, 0.25)', borderWidth: 1, pointRadius: 0, fill: 'origin', borderDash: [2, 2] });
  }
  const template = prediction?.explanation.template;
  if (template) {
    datasets.push(
      { label: 'Typical normal beat', data: template.mean, borderColor: COLORS.template, backgroundColor: COLORS.template, borderWidth: 1.5, pointRadius: 0, borderDash: [8, 3] },
      { label: 'Normal band (±1 sd)', data: template.upper, borderColor: 'transparent', backgroundColor: COLORS.templateBand, pointRadius: 0, fill: '+1' },
      { label: 'Normal band lower edge', data: template.lower, borderColor: 'transparent', backgroundColor: COLORS.templateBand, pointRadius: 0, fill: false },
    );
  }
  const parts = [prediction?.reconstruction ? "the model's reconstruction and absolute error" : null, template ? `the typical normal beat of ${template.beats} training beats with its band` : null].filter(Boolean);
  const summary = `Beat of ${samples.length} samples${parts.length ? ` with ${parts.join(' and ')}` : ''}`;
  drawChart(
    canvas,
    {
      type: 'line',
      data: { labels: samples.map((_, i) => i), datasets },
      options: {
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { title: { display: true, text: 'Sample position' }, ticks: { maxTicksLimit: 15 }, grid: { color: COLORS.grid } },
          y: { title: { display: true, text: 'Amplitude' }, grid: { color: COLORS.grid }, afterFit: alignYAxis },
        },
        plugins: { legend: { position: 'bottom', labels: { filter: (item) => item.text !== 'Normal band lower edge' } } },
      },
    },
    summary,
  );
}

/**
 * A classifier's attribution along the beat (integrated gradients from the typical normal beat):
 * bars above zero raised P(anomalous), bars below lowered it, on the same sample positions as the
 * beat above.
 */
export function drawAttributionChart(canvas: HTMLCanvasElement, attribution: number[], modelTag: string): void {
  const peak = attribution.reduce((best, v, i) => (Math.abs(v) > Math.abs(attribution[best]!) ? i : best), 0);
  drawChart(
    canvas,
    {
      type: 'bar',
      data: {
        labels: attribution.map((_, i) => i),
        datasets: [{ label: `Attribution (${modelTag})`, data: attribution, backgroundColor: attribution.map((v) => (v >= 0 ? COLORS.raises : COLORS.lowers)), borderWidth: 0 }],
      },
      options: {
        scales: {
          x: { title: { display: true, text: 'Sample position' }, ticks: { maxTicksLimit: 15 }, grid: { color: COLORS.grid } },
          y: { title: { display: true, text: 'Attribution' }, grid: { color: COLORS.grid }, afterFit: alignYAxis },
        },
        plugins: { legend: { display: false } },
      },
    },
    `Attribution of ${modelTag}'s score along the ${attribution.length} samples; the largest at sample ${peak}`,
  );
}
