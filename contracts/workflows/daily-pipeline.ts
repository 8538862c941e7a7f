import { Type, type Static } from 'typebox';
import { Day, Nullable } from '../schema';
import { DriftResultSchema } from './detect-drift';
import { RetrainInputSchema, RetrainResultSchema } from './retrain';

// dailyPipeline (the Temporal Schedule ecgflow-daily, one run per day): score the day with the
// production model and shadow it with staging models, check drift, retrain on severe drift.

/**
 * Retrain when the production model's agreement with the standing reviews of the last
 * `lastReviews` reviewed beats it scored falls below `below`, once at least `minReviews` count.
 */
export const AgreementTriggerSchema = Type.Object(
  {
    below: Type.Number({ minimum: 0, maximum: 1 }),
    lastReviews: Type.Integer({ minimum: 1, maximum: 100_000 }),
    /** Default 20: fewer reviews say little. */
    minReviews: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  },
  { additionalProperties: false },
);
export type AgreementTrigger = Static<typeof AgreementTriggerSchema>;

/** What the day measured of the reviewers' agreement with the production model. */
export const DailyAgreementSchema = Type.Object({ reviewed: Type.Integer(), agreed: Type.Integer(), rate: Nullable(Type.Number()) });
export type DailyAgreement = Static<typeof DailyAgreementSchema>;

export const DailyPipelineInputSchema = Type.Object(
  {
    /** The day to process; default: the day before the scheduled time, in the schedule's zone. */
    date: Type.Optional(Day),
    autoRetrain: Type.Optional(Type.Boolean()),
    /** The schedule's IANA zone, in which "the day before" is counted (default UTC). */
    timeZone: Type.Optional(Type.String()),
    /** A retrain's challenger is tagged `<prefix>-<day>` (default 'auto'). */
    challengerTagPrefix: Type.Optional(Type.String()),
    /** Options of the retraining started on severe drift (default: train up to the day, promote on the gates). */
    retrain: Type.Optional(Type.Omit(RetrainInputSchema, ['tag'])),
    /** Also retrain (with the same options, gates and approvals) when reviewers stop agreeing with the production model. */
    retrainOnAgreement: Type.Optional(AgreementTriggerSchema),
  },
  { additionalProperties: false },
);
export type DailyPipelineInput = Static<typeof DailyPipelineInputSchema>;

/** One model's scoring of the day: production decides, staging models only shadow it. */
export const DailyScoringSchema = Type.Object({ modelTag: Type.String(), workflowId: Type.String(), scored: Type.Integer(), anomalies: Type.Integer() });
export type DailyScoring = Static<typeof DailyScoringSchema>;

/** A retraining the day started and left running on its own (retrain-<tag>). */
export const DetachedRetrainSchema = Type.Object({ started: Type.String(), runId: Type.String() });
export type DetachedRetrain = Static<typeof DetachedRetrainSchema>;

export const DailyPipelineResultSchema = Type.Object({
  date: Type.String(),
  production: DailyScoringSchema,
  /** Staging models that scored the same beats; a failure here never fails the day. */
  shadow: Type.Array(Type.Union([DailyScoringSchema, Type.Object({ modelTag: Type.String(), workflowId: Type.String(), error: Type.String() })])),
  drift: DriftResultSchema,
  /** Set when the day was asked to retrain on falling agreement (retrainOnAgreement). */
  agreement: Type.Optional(DailyAgreementSchema),
  /**
   * A retraining runs detached from the day (it may wait days for approval, and the next day must
   * not wait for it): `started` names it. Runs from before detaching carry its result.
   */
  retrain: Type.Union([RetrainResultSchema, Type.Object({ skipped: Type.String() }), DetachedRetrainSchema]),
});
export type DailyPipelineResult = Static<typeof DailyPipelineResultSchema>;
