// Chart colours: each at least 3:1 against the white chart background (WCAG 1.4.11), told apart by
// line style as well as hue so colour is never the only cue.

export const COLORS = {
  original: '#1d4ed8',
  reconstruction: '#c2410c',
  error: '#4b5563',
  anomalyRate: '#b91c1c',
  agreementRate: '#047857',
  grid: '#e5e7eb',
  /** The typical normal beat and its band; attributions above and below zero. */
  template: '#047857',
  templateBand: 'rgba(4, 120, 87, 0.15)',
  raises: '#b91c1c',
  lowers: '#1d4ed8',
} as const;

/** One line per series (candidates, runs): distinct hues, each at least 3:1 on white, dashed in turn as well. */
export const SERIES_COLORS = ['#1d4ed8', '#c2410c', '#047857', '#7c3aed', '#b91c1c', '#4b5563', '#0e7490', '#a16207'] as const;

/** PSI bands, as on the drift dashboard: none green, moderate amber, severe red. */
export const BAND_COLORS = {
  none: '#2e7d32',
  moderate: '#b45309',
  severe: '#b91c1c',
} as const;
