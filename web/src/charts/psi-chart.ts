import type { Band } from '../types';
import { BAND_COLORS, COLORS } from './colors';
import { drawChart } from './setup';

const BANDS: Band[] = ['none', 'moderate', 'severe'];

/**
 * PSI per sample position, one bar each, coloured by its drift band. One dataset per band (bars
 * not grouped, so each position keeps its place) gives Chart.js's legend the three bands for free.
 */
export function drawPsiChart(canvas: HTMLCanvasElement, positions: { position: number; psi: number; band: Band }[]): void {
  const counts = Object.fromEntries(BANDS.map((b) => [b, positions.filter((p) => p.band === b).length])) as Record<Band, number>;
  drawChart(
    canvas,
    {
      type: 'bar',
      data: {
        labels: positions.map((p) => p.position),
        datasets: BANDS.map((band) => ({
          label: `${band} (${counts[band]})`,
          data: positions.map((p) => (p.band === band ? p.psi : null)),
          backgroundColor: BAND_COLORS[band],
          borderColor: BAND_COLORS[band],
          grouped: false,
          barPercentage: 1,
          categoryPercentage: 1,
        })),
      },
      options: {
        scales: {
          x: { title: { display: true, text: 'Sample position' }, ticks: { maxTicksLimit: 15 }, grid: { display: false } },
          y: { title: { display: true, text: 'PSI' }, beginAtZero: true, grid: { color: COLORS.grid } },
        },
        plugins: { legend: { position: 'bottom', title: { display: true, text: 'Drift band' } } },
      },
    },
    `PSI at ${positions.length} sample positions: ${counts.none} none, ${counts.moderate} moderate, ${counts.severe} severe`,
  );
}
