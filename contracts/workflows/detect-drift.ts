import { Type, type Static } from 'typebox';
import type { DriftPolicy, DriftStatus } from '../../ml/drift/policy';
import { DayWindowFields, Nullable, Tag } from '../schema';

// detectDrift (drift-<tag>-<from>-<to>): a window's beats compared with the model's training
// baseline. The policy and the verdict belong to ml/drift/policy.ts, which applies them; the
// contract names their types and lets a caller override any field of the policy.

export const DriftPolicyOverridesSchema = Type.Unsafe<Partial<DriftPolicy>>(
  Type.Object(
    { psiModerate: Type.Optional(Type.Number()), psiSevere: Type.Optional(Type.Number()), driftedShare: Type.Optional(Type.Number()), ksPValue: Type.Optional(Type.Number()), minSampleSize: Type.Optional(Type.Integer()) },
    { additionalProperties: false },
  ),
);

export const DetectDriftInputSchema = Type.Object(
  {
    ...DayWindowFields,
    /** Default: the production model, else the newest. */
    modelTag: Type.Optional(Tag),
    policy: Type.Optional(DriftPolicyOverridesSchema),
  },
  { additionalProperties: false },
);
export type DetectDriftInput = Static<typeof DetectDriftInputSchema>;

const Share = Nullable(Type.Number());

export const DriftResultSchema = Type.Object({
  status: Type.Unsafe<DriftStatus>(Type.Enum(['none', 'moderate', 'severe', 'insufficient'])),
  /** Share of the 140 positions with PSI >= psiSevere. */
  driftedShare: Share,
  /** Share of positions with PSI >= psiModerate (moderate or severe). */
  moderateShare: Type.Optional(Share),
  psiMax: Share,
  ksStatistic: Share,
  ksPValue: Share,
  anomalyRate: Share,
  baselineAnomalyRate: Share,
  sampleSize: Type.Integer(),
  modelTag: Type.String(),
  reportId: Type.Integer(),
});
export type DriftResult = Static<typeof DriftResultSchema>;
