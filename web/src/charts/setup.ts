import { BarController, BarElement, CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type ChartConfiguration, type ChartType, type Plugin } from 'chart.js';

// Only the Chart.js pieces the pages use, so the bundle stays small.
Chart.register(LineController, LineElement, PointElement, BarController, BarElement, LinearScale, CategoryScale, Legend, Tooltip, Filler);
// No animation: a chart is complete the moment it is shown (and people who prefer reduced motion get none).
Chart.defaults.animation = false;
Chart.defaults.color = '#1f2937';
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
Chart.defaults.maintainAspectRatio = false;

/** Test hook: marks the canvas once Chart.js has drawn it, with how many x values it shows. */
const drawnMarker: Plugin = {
  id: 'drawnMarker',
  afterRender(chart) {
    const longest = Math.max(0, ...chart.data.datasets.map((d) => d.data.length));
    chart.canvas.dataset.points = String(chart.data.labels?.length || longest);
    chart.canvas.dataset.drawn = 'true';
  },
};
Chart.register(drawnMarker);

/**
 * Draws a chart on a canvas, replacing the one already there. `summary` is the canvas's accessible
 * name, so a screen reader hears what the picture says.
 */
export function drawChart<T extends ChartType>(canvas: HTMLCanvasElement, config: ChartConfiguration<T>, summary: string): Chart<T> {
  Chart.getChart(canvas)?.destroy();
  canvas.dataset.drawn = 'false';
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', summary);
  return new Chart(canvas, config);
}

/** Removes a chart (e.g. no data to show), leaving the canvas blank and not drawn. */
export function clearChart(canvas: HTMLCanvasElement): void {
  Chart.getChart(canvas)?.destroy();
  canvas.dataset.drawn = 'false';
  canvas.removeAttribute('data-points');
}
