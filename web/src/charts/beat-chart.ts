import type { ChartDataset } from 'chart.js';
import type { BeatPrediction } from '../types';
import { COLORS } from './colors';
import { drawChart } from './setup';

/**
 * One beat: its 140 samples, the model's reconstruction (autoencoders only) and the absolute
 * error between the two, so a reviewer sees where the model thinks the beat is unusual.
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
  const summary = prediction?.reconstruction
    ? `Beat of ${samples.length} samples with the model's reconstruction and absolute error`
    : `Beat of ${samples.length} samples`;
  drawChart(
    canvas,
    {
      type: 'line',
      data: { labels: samples.map((_, i) => i), datasets },
      options: {
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { title: { display: true, text: 'Sample position' }, ticks: { maxTicksLimit: 15 }, grid: { color: COLORS.grid } },
          y: { title: { display: true, text: 'Amplitude' }, grid: { color: COLORS.grid } },
        },
        plugins: { legend: { position: 'bottom' } },
      },
    },
    summary,
  );
}
