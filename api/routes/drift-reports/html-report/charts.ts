import type { Band, DriftPosition, DriftThresholds, ScoreDistributions } from '../../../../contracts/api/drift-reports';
import { REPORT_COLORS as C } from './colors';
import { decimal } from './format';
import { axesSvg, bandPathOf, legendSvg, linearScale, n, niceDomain, niceTicks, pathOf, plotRange, svgOf, type Area } from './svg';

// The three charts of the HTML report, as inline SVG text. Each says what it shows in its title
// and desc; the table of every position below them has the same numbers for anyone who cannot see them.

const AREA: Area = { width: 920, height: 270, margin: { top: 30, right: 16, bottom: 42, left: 58 } };
const BANDS: Band[] = ['none', 'moderate', 'severe'];

const lineSwatch = (color: string, dash = '') => `<line x1="0" x2="20" y1="4" y2="4" stroke="${color}" stroke-width="2.5"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`;
const boxSwatch = (color: string) => `<rect x="0" y="-2" width="20" height="12" fill="${color}"/>`;
const positionTicks = (count: number) => niceTicks(0, count - 1, 7).filter((t) => Number.isInteger(t));

/** PSI at every position as bars coloured by band, with the moderate and severe thresholds as dashed lines. */
export function psiChartSvg(positions: readonly DriftPosition[], t: DriftThresholds): string {
  const range = plotRange(AREA);
  const slot = (range.x[1] - range.x[0]) / positions.length;
  const x = (position: number) => range.x[0] + position * slot;
  const [, top] = niceDomain([...positions.map((p) => p.psi), (t.psiSevere ?? 0) * 1.1], { includeZero: true });
  const y = linearScale([0, top], range.y);
  const counts = Object.fromEntries(BANDS.map((b) => [b, positions.filter((p) => p.band === b).length])) as Record<Band, number>;
  const bars = positions
    .map((p) => `<rect class="bar" x="${n(x(p.position) + slot * 0.1)}" y="${n(y(p.psi))}" width="${n(slot * 0.8)}" height="${n(Math.max(0, y(0) - y(p.psi)))}" fill="${C.band[p.band]}"><title>position ${p.position}: PSI ${decimal(p.psi)} (${p.band})</title></rect>`)
    .join('');
  const lines = (
    [
      ['moderate', t.psiModerate],
      ['severe', t.psiSevere],
    ] as const
  )
    .filter((entry): entry is readonly ['moderate' | 'severe', number] => entry[1] !== null && entry[1] <= top)
    .map(([name, value]) => `<line class="threshold" x1="${n(range.x[0])}" x2="${n(range.x[1])}" y1="${n(y(value))}" y2="${n(y(value))}" stroke="${C.threshold}" stroke-dasharray="6 4"/><text class="note" x="${n(range.x[1] - 4)}" y="${n(y(value) - 4)}" text-anchor="end">${name} ≥ ${value}</text>`)
    .join('');
  const body =
    axesSvg(AREA, { scale: (v) => x(v) + slot / 2, ticks: positionTicks(positions.length), label: 'Sample position' }, { scale: y, ticks: niceTicks(0, top), label: 'PSI' }) +
    bars +
    lines +
    legendSvg(AREA, BANDS.map((b) => ({ label: `${b} (${counts[b]})`, swatch: boxSwatch(C.band[b]) })));
  return svgOf('psi-chart', AREA, 'PSI per sample position', `PSI at ${positions.length} sample positions: ${counts.none} none, ${counts.moderate} moderate, ${counts.severe} severe.`, body);
}

/**
 * The window's mean beat against the baseline's, each with a band of one standard deviation: where
 * the two part is where the beats changed. Null when the report kept no mean beat (older reports).
 */
export function meanBeatChartSvg(positions: readonly DriftPosition[]): string | null {
  const window = positions.every((p) => p.windowMean !== null && p.windowSd !== null);
  const baseline = positions.every((p) => p.baselineMean !== null && p.baselineSd !== null);
  if (!window || positions.length === 0) return null;
  const range = plotRange(AREA);
  const x = linearScale([0, positions.length - 1], range.x);
  const values = positions.flatMap((p) => [p.windowMean! - p.windowSd!, p.windowMean! + p.windowSd!, ...(baseline ? [p.baselineMean! - p.baselineSd!, p.baselineMean! + p.baselineSd!] : [])]);
  const domain = niceDomain(values);
  const y = linearScale(domain, range.y);
  const line = (mean: (p: DriftPosition) => number, offset: (p: DriftPosition) => number) => positions.map((p) => [x(p.position), y(mean(p) + offset(p))] as const);
  const series = (mean: (p: DriftPosition) => number, sd: (p: DriftPosition) => number, color: string, fill: string, dash: string, name: string) =>
    `<path class="band" d="${bandPathOf(line(mean, sd), line(mean, (p) => -sd(p)))}" fill="${fill}" stroke="none"/>` +
    `<path class="line ${name}" d="${pathOf(line(mean, () => 0))}" fill="none" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`;
  const legend = [
    { label: 'window mean', swatch: lineSwatch(C.window) },
    { label: 'window ±1 sd', swatch: boxSwatch(C.windowBand) },
    ...(baseline ? [{ label: 'baseline mean', swatch: lineSwatch(C.baseline, '6 3') }, { label: 'baseline ±1 sd', swatch: boxSwatch(C.baselineBand) }] : []),
  ];
  const body =
    axesSvg(AREA, { scale: x, ticks: positionTicks(positions.length), label: 'Sample position' }, { scale: y, ticks: niceTicks(domain[0], domain[1]), label: 'Amplitude', format: (v) => String(v) }) +
    (baseline ? series((p) => p.baselineMean!, (p) => p.baselineSd!, C.baseline, C.baselineBand, '6 3', 'baseline') : '') +
    series((p) => p.windowMean!, (p) => p.windowSd!, C.window, C.windowBand, '', 'window') +
    legendSvg(AREA, legend);
  const description = baseline
    ? "The window's mean beat and its band of one standard deviation, over the baseline's."
    : "The window's mean beat and its band of one standard deviation; the baseline was profiled before mean beats were kept.";
  return svgOf('mean-beat-chart', AREA, 'Mean beat: window against baseline', description, body);
}

/** Both score distribution functions (what the KS test compared), with their largest gap marked. */
export function scoreChartSvg(d: ScoreDistributions, ksStatistic: number | null): string {
  const range = plotRange(AREA);
  const domain = niceDomain([...d.window, ...d.baseline]);
  const x = linearScale(domain, range.x);
  const y = linearScale([0, 1], range.y);
  const curve = (scores: number[]) => pathOf(scores.map((s, i) => [x(s), y(d.levels[i]!)] as const));
  const gap = d.largestGap;
  const gapSvg = gap
    ? `<line class="gap" x1="${n(x(gap.score))}" x2="${n(x(gap.score))}" y1="${n(y(gap.window))}" y2="${n(y(gap.baseline))}" stroke="${C.gap}" stroke-width="3"/>` +
      `<text class="note" x="${n(x(gap.score) + 6)}" y="${n(y((gap.window + gap.baseline) / 2))}" dominant-baseline="middle">gap ${decimal(Math.abs(gap.window - gap.baseline), 2)}</text>`
    : '';
  const body =
    axesSvg(AREA, { scale: x, ticks: niceTicks(domain[0], domain[1]), label: 'Anomaly score' }, { scale: y, ticks: [0, 0.25, 0.5, 0.75, 1], label: 'Share at or below', format: (v) => `${v * 100}%` }) +
    `<path class="line baseline" d="${curve(d.baseline)}" fill="none" stroke="${C.baseline}" stroke-width="2" stroke-dasharray="6 3"/>` +
    `<path class="line window" d="${curve(d.window)}" fill="none" stroke="${C.window}" stroke-width="2"/>` +
    gapSvg +
    legendSvg(AREA, [
      { label: 'window', swatch: lineSwatch(C.window) },
      { label: 'baseline', swatch: lineSwatch(C.baseline, '6 3') },
      ...(gap ? [{ label: 'largest gap', swatch: lineSwatch(C.gap) }] : []),
    ]);
  const ks = ksStatistic === null ? '' : ` The KS statistic on the full samples is ${decimal(ksStatistic)}.`;
  return svgOf('score-chart', AREA, 'Anomaly score distributions: window against baseline', `The share of beats at or below each score, read at every percentile.${ks}`, body);
}
