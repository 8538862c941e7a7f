import { Type, type Static } from 'typebox';

// GET /api/v1/drift-reports and /drift-reports/{id}: served by api/routes/drift-reports/read.ts and
// read by the dashboard and its PSI chart (web/src/types.ts re-exports the types).

const NullableNumber = Type.Union([Type.Number(), Type.Null()]);

/** How far one position (or a whole report) drifted. */
export const BandSchema = Type.Union([Type.Literal('none'), Type.Literal('moderate'), Type.Literal('severe')]);
export type Band = Static<typeof BandSchema>;

export const DriftReportSchema = Type.Object({
  id: Type.Integer(),
  modelTag: Type.String(),
  rangeFrom: Type.String({ format: 'date-time' }),
  rangeTo: Type.String({ format: 'date-time', description: 'exclusive' }),
  status: Type.Union([BandSchema, Type.Literal('insufficient')]),
  sampleSize: Type.Integer(),
  driftedShare: NullableNumber,
  moderateShare: NullableNumber,
  psiMax: NullableNumber,
  ksStatistic: NullableNumber,
  ksPValue: NullableNumber,
  anomalyRate: NullableNumber,
  baselineAnomalyRate: NullableNumber,
  policy: Type.Unknown(),
  workflowId: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});
export type DriftReport = Static<typeof DriftReportSchema>;

export const DriftReportListSchema = Type.Object({ items: Type.Array(DriftReportSchema) });
export type DriftReportList = Static<typeof DriftReportListSchema>;

export const DriftReportDetailSchema = Type.Object({ ...DriftReportSchema.properties, positions: Type.Array(Type.Object({ position: Type.Integer(), psi: Type.Number(), band: BandSchema })) });
export type DriftReportDetail = Static<typeof DriftReportDetailSchema>;
