import { escapeHtml } from './escape';

// Just enough of a plotting library for the report's three charts, as SVG text: linear scales,
// round ticks, axes with labels, paths. No script and no external reference, so the file draws
// the same anywhere, offline, and in a mail client that strips scripts.

export interface Area {
  width: number;
  height: number;
  margin: { top: number; right: number; bottom: number; left: number };
}

export type Scale = (value: number) => number;

export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0 || 1;
  return (value) => r0 + ((value - d0) / span) * (r1 - r0);
}

/** Plot coordinates of an area: x from left to right, y from bottom to top. */
export function plotRange(area: Area): { x: [number, number]; y: [number, number] } {
  const { width, height, margin } = area;
  return { x: [margin.left, width - margin.right], y: [height - margin.bottom, margin.top] };
}

/** About `count` ticks at round values (1, 2 or 5 times a power of ten) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** The smallest domain of round tick values covering the values (and zero when asked), never empty. */
export function niceDomain(values: readonly number[], options: { includeZero?: boolean } = {}): [number, number] {
  const all = [...values.filter(Number.isFinite), ...(options.includeZero ? [0] : [])];
  if (all.length === 0) return [0, 1];
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const ticks = niceTicks(lo, hi);
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : hi - lo;
  return [Math.floor(lo / step) * step, Math.ceil(hi / step) * step].map((v) => Number(v.toPrecision(12))) as [number, number];
}

export const n = (v: number) => (Math.round(v * 100) / 100).toString();

export function pathOf(points: readonly (readonly [number, number])[]): string {
  return points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${n(x)} ${n(y)}`).join('');
}

/** A closed band between an upper and a lower line over the same xs. */
export function bandPathOf(upper: readonly (readonly [number, number])[], lower: readonly (readonly [number, number])[]): string {
  return `${pathOf([...upper, ...[...lower].reverse()])}Z`;
}

export interface Axis {
  scale: Scale;
  ticks: number[];
  label: string;
  format?: (value: number) => string;
}

/** Grid lines, tick labels and axis titles around the plot area. */
export function axesSvg(area: Area, x: Axis, y: Axis): string {
  const { x: [left, right], y: [bottom, top] } = plotRange(area);
  const fx = x.format ?? ((v: number) => String(v));
  const fy = y.format ?? ((v: number) => String(v));
  const parts: string[] = [];
  for (const t of y.ticks) {
    const py = n(y.scale(t));
    parts.push(`<line class="grid" x1="${n(left)}" x2="${n(right)}" y1="${py}" y2="${py}"/>`, `<text class="tick" x="${n(left - 6)}" y="${py}" text-anchor="end" dominant-baseline="middle">${escapeHtml(fy(t))}</text>`);
  }
  for (const t of x.ticks) {
    const px = n(x.scale(t));
    parts.push(`<line class="tick-mark" x1="${px}" x2="${px}" y1="${n(bottom)}" y2="${n(bottom + 4)}"/>`, `<text class="tick" x="${px}" y="${n(bottom + 16)}" text-anchor="middle">${escapeHtml(fx(t))}</text>`);
  }
  parts.push(
    `<line class="axis" x1="${n(left)}" x2="${n(right)}" y1="${n(bottom)}" y2="${n(bottom)}"/>`,
    `<line class="axis" x1="${n(left)}" x2="${n(left)}" y1="${n(bottom)}" y2="${n(top)}"/>`,
    `<text class="axis-title" x="${n((left + right) / 2)}" y="${n(area.height - 4)}" text-anchor="middle">${escapeHtml(x.label)}</text>`,
    `<text class="axis-title" transform="translate(12 ${n((top + bottom) / 2)}) rotate(-90)" text-anchor="middle">${escapeHtml(y.label)}</text>`,
  );
  return parts.join('');
}

/** A legend row of swatches and labels along the top of the chart. */
export function legendSvg(area: Area, items: { label: string; swatch: string }[]): string {
  let x = area.margin.left;
  return items
    .map((item) => {
      const at = x;
      x += 34 + item.label.length * 6.6;
      return `<g transform="translate(${n(at)} 12)">${item.swatch}<text class="legend" x="26" y="4" dominant-baseline="middle">${escapeHtml(item.label)}</text></g>`;
    })
    .join('');
}

/** An accessible SVG: named by its title, described by its desc, drawn at any width by its viewBox. */
export function svgOf(id: string, area: Area, title: string, description: string, body: string): string {
  return (
    `<svg class="chart" id="${escapeHtml(id)}" viewBox="0 0 ${area.width} ${area.height}" role="img" aria-labelledby="${escapeHtml(id)}-title ${escapeHtml(id)}-desc">` +
    `<title id="${escapeHtml(id)}-title">${escapeHtml(title)}</title><desc id="${escapeHtml(id)}-desc">${escapeHtml(description)}</desc>${body}</svg>`
  );
}
