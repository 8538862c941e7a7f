/** All of the report's CSS, inline: the file has no stylesheet to fetch. Readable on screen and on paper. */
export const REPORT_CSS = `
:root { color-scheme: light; --text: #1f2937; --muted: #4b5563; --border: #d1d5db; --ok: #166534; --warn: #92400e; --error: #991b1b; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--text); background: #f3f4f6; }
main { max-width: 980px; margin: 0 auto; padding: 1.25rem; background: #fff; }
h1 { font-size: 1.45rem; margin: 0 0 0.25rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 0.5rem; border-bottom: 1px solid var(--border); padding-bottom: 0.2rem; }
p { margin: 0.3rem 0; }
.muted { color: var(--muted); }
.verdict { border: 2px solid currentColor; border-radius: 6px; padding: 0.6rem 0.9rem; margin: 0.9rem 0; }
.verdict h2 { border: 0; margin: 0 0 0.3rem; font-size: 1.25rem; }
.verdict ul { margin: 0.2rem 0 0; padding-left: 1.2rem; color: var(--text); }
.verdict li.decisive { font-weight: 600; }
.band-none { color: var(--ok); background: #f0fdf4; }
.band-moderate { color: var(--warn); background: #fffbeb; }
.band-severe { color: var(--error); background: #fef2f2; }
.band-insufficient { color: var(--muted); background: #f9fafb; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 0.2rem 0.5rem; border-bottom: 1px solid #e5e7eb; }
thead th { color: var(--muted); position: sticky; top: 0; background: #fff; }
td.num, th.num { text-align: right; }
.facts { width: auto; min-width: 60%; }
.facts th { font-weight: 600; color: var(--muted); padding-right: 1.5rem; }
.pill { display: inline-block; padding: 0 0.45rem; border-radius: 999px; border: 1px solid currentColor; font-size: 0.8rem; font-weight: 600; }
figure { margin: 0.5rem 0; }
figcaption { color: var(--muted); font-size: 0.85rem; }
svg.chart { width: 100%; height: auto; display: block; font-family: inherit; }
svg .grid { stroke: #e5e7eb; }
svg .axis, svg .tick-mark { stroke: #6b7280; }
svg .tick, svg .legend, svg .note { font-size: 11px; fill: #374151; }
svg .axis-title { font-size: 12px; fill: #1f2937; }
.positions { max-height: 32rem; overflow: auto; border: 1px solid var(--border); }
footer { margin-top: 1.5rem; font-size: 0.85rem; color: var(--muted); }
@media print { body { background: #fff; } main { max-width: none; } .positions { max-height: none; overflow: visible; border: 0; } thead th { position: static; } }
`;
