import { Type, type Static } from 'typebox';

// GET /api/v1/drift-reports, /drift-reports/{id} and /drift-reports/{id}/report.html: served by
// api/routes/drift-reports/, read by the dashboard, the drift page and their charts (web/src/types.ts
// re-exports the types). Fields added after the first reports were written are null for those.

const NullableNumber = Type.Union([Type.Number(), Type.Null()]);

/** How far one position (or a whole report) drifted. */
export const BandSchema = Type.Union([Type.Literal('none'), Type.Literal('moderate'), Type.Literal('severe')]);
export type Band = Static<typeof BandSchema>;

export const DriftStatusSchema = Type.Union([BandSchema, Type.Literal('insufficient')]);
export type DriftStatus = Static<typeof DriftStatusSchema>;

/** One report as the history lists it: the verdict and every summary number, no per-position detail. */
export const DriftReportSchema = Type.Object({
  id: Type.Integer(),
  modelTag: Type.String(),
  rangeFrom: Type.String({ format: 'date-time' }),
  rangeTo: Type.String({ format: 'date-time', description: 'the last UTC day checked, inclusive, at its midnight (as the drift activity stores it)' }),
  status: DriftStatusSchema,
  sampleSize: Type.Integer(),
  baselineSampleSize: Type.Union([Type.Integer(), Type.Null()], { description: 'beats of the training window profiled; null for reports written before it was kept' }),
  driftedShare: NullableNumber,
  moderateShare: NullableNumber,
  psiMax: NullableNumber,
  ksStatistic: NullableNumber,
  ksPValue: NullableNumber,
  anomalyRate: NullableNumber,
  baselineAnomalyRate: NullableNumber,
  policy: Type.Unknown(),
  workflowId: Type.String(),
  runId: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});
export type DriftReport = Static<typeof DriftReportSchema>;

export const DriftReportListSchema = Type.Object({ items: Type.Array(DriftReportSchema) });
export type DriftReportList = Static<typeof DriftReportListSchema>;

/** One sample position: its PSI and band, and the window's mean and sd there against the baseline's. */
export const DriftPositionSchema = Type.Object({
  position: Type.Integer(),
  psi: Type.Number(),
  band: BandSchema,
  windowMean: NullableNumber,
  windowSd: NullableNumber,
  baselineMean: Type.Union([Type.Number(), Type.Null()], { description: 'null for a report written before it was kept, or on a baseline profiled before means were kept' }),
  baselineSd: NullableNumber,
});
export type DriftPosition = Static<typeof DriftPositionSchema>;

/** The thresholds the verdict applied (the run's policy); null where the stored policy lacks one. */
export const DriftThresholdsSchema = Type.Object({
  psiModerate: NullableNumber,
  psiSevere: NullableNumber,
  driftedShare: NullableNumber,
  ksPValue: NullableNumber,
  minSampleSize: NullableNumber,
});
export type DriftThresholds = Static<typeof DriftThresholdsSchema>;

/** Both score distributions at the same levels: what the KS test compared, drawn as two distribution functions. */
export const ScoreDistributionsSchema = Type.Object({
  levels: Type.Array(Type.Number(), { description: 'cumulative shares, 0 to 1' }),
  window: Type.Array(Type.Number(), { description: "the window's score at each level" }),
  baseline: Type.Array(Type.Number(), { description: "the baseline's score at each level" }),
  largestGap: Type.Union(
    [Type.Object({ score: Type.Number(), window: Type.Number(), baseline: Type.Number() }), Type.Null()],
    { description: 'where the two distribution functions, read at these levels, are furthest apart: the score and the share at or below it on each side' },
  ),
});
export type ScoreDistributions = Static<typeof ScoreDistributionsSchema>;

/** One check the verdict made, in words; the decisive ones decided it. */
export const VerdictReasonSchema = Type.Object({ text: Type.String(), decisive: Type.Boolean() });
export type VerdictReason = Static<typeof VerdictReasonSchema>;

export const DriftReportDetailSchema = Type.Object({
  ...DriftReportSchema.properties,
  thresholds: DriftThresholdsSchema,
  reasons: Type.Array(VerdictReasonSchema),
  anomalyRateInterval: Type.Union([Type.Object({ low: Type.Number(), high: Type.Number() }), Type.Null()], {
    description: "Wilson 95% interval of the window's anomaly rate: a baseline rate outside it is a real change, not chance",
  }),
  scoreDistributions: Type.Union([ScoreDistributionsSchema, Type.Null()]),
  positions: Type.Array(DriftPositionSchema),
});
export type DriftReportDetail = Static<typeof DriftReportDetailSchema>;
