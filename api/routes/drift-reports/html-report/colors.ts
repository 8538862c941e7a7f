// The report's colours: the pages' own (web/src/charts/colors.ts), each at least 3:1 on white, and
// told apart by line style too (the window solid, the baseline dashed) so colour is never the only cue.

export const REPORT_COLORS = {
  window: '#1d4ed8',
  windowBand: 'rgba(29, 78, 216, 0.16)',
  baseline: '#047857',
  baselineBand: 'rgba(4, 120, 87, 0.16)',
  threshold: '#4b5563',
  gap: '#b91c1c',
  band: { none: '#2e7d32', moderate: '#b45309', severe: '#b91c1c' },
} as const;
