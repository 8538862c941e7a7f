import { percent } from '../format';
import { COLORS } from './colors';
import { drawChart } from './setup';

/** A rate per day (0..1) as a line; days without a value (null) leave a gap rather than a false zero. */
export function drawDailyRateChart(canvas: HTMLCanvasElement, args: { days: string[]; values: (number | null)[]; label: string; color: string }): void {
  const known = args.values.filter((v): v is number => v !== null);
  const summary = known.length
    ? `${args.label} over ${args.days.length} days, from ${percent(Math.min(...known))} to ${percent(Math.max(...known))}`
    : `${args.label}: no values in the ${args.days.length} days shown`;
  drawChart(
    canvas,
    {
      type: 'line',
      data: {
        labels: args.days,
        datasets: [{ label: args.label, data: args.values, borderColor: args.color, backgroundColor: args.color, borderWidth: 2, pointRadius: 3, spanGaps: false }],
      },
      options: {
        scales: {
          x: { ticks: { maxTicksLimit: 8, maxRotation: 0, callback: (value) => args.days[Number(value)]?.slice(5) ?? '' }, title: { display: true, text: 'Recording day (UTC, MM-DD)' }, grid: { color: COLORS.grid } },
          y: { min: 0, suggestedMax: 1, ticks: { callback: (v) => percent(Number(v), 0) }, grid: { color: COLORS.grid } },
        },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (item) => `${args.label}: ${percent(item.parsed.y)}` } },
        },
      },
    },
    summary,
  );
}
