import { Type, type Static } from 'typebox';
import { GATE_METRICS } from '../../common/retrain-gates';
import { Day, Nullable, Tag } from '../schema';
import { TrainingOptionsSchema } from './train-model';

// retrain (retrain-<tag>): a challenger trained, judged against the champion on the gates, promoted
// only when it passes them (and, when asked, people approve). POST /retrain, `ecgflow retrain`,
// the daily pipeline and the workflow speak it.

/** The metrics a challenger must reach, and how far it may trail the champion, to be promoted. */
export const RetrainGatesSchema = Type.Object({
  /** The metric compared with the champion's (default rocAuc). */
  metric: Type.Enum([...GATE_METRICS]),
  /** Default 0.9. */
  minRocAuc: Type.Number({ minimum: 0, maximum: 1 }),
  /** Default 0.85. */
  minAccuracy: Type.Number({ minimum: 0, maximum: 1 }),
  /** The challenger may trail the champion on `metric` by at most this much (default 0.01). */
  maxRegression: Type.Number({ minimum: 0, maximum: 1 }),
});
export type RetrainGates = Static<typeof RetrainGatesSchema>;

/** The gates a caller sets; the rest keep their defaults (common/retrain-gates.ts checks the values). */
export const GateOverridesSchema = Type.Partial(RetrainGatesSchema, { additionalProperties: false });
export type GateOverrides = Static<typeof GateOverridesSchema>;

const RetrainRequestFields = {
  /** The challenger's tag. */
  tag: Tag,
  from: Type.Optional(Day),
  to: Type.Optional(Day),
  includeReviewed: Type.Optional(Type.Boolean()),
  autoPromote: Type.Optional(Type.Boolean()),
  requireApproval: Type.Optional(Type.Boolean()),
  /** How long to wait for approval before rejecting, e.g. '24 hours' (default 7 days). */
  approvalTimeout: Type.Optional(Type.String({ description: "e.g. '24h' or '7 days'" })),
  /** How many distinct people, none of them the requester, must approve (default 1). */
  approvers: Type.Optional(Type.Integer({ minimum: 1, maximum: 5, description: 'distinct approvers needed, none of them the requester (default 1)' })),
  /** What the challenger must reach to be promoted; every field has a default. */
  gates: Type.Optional(GateOverridesSchema),
  /** Passed through to the challenger's trainModel run (epochs, candidates, …). */
  training: Type.Optional(TrainingOptionsSchema),
};

/** What a person asks for (POST /retrain): who asks comes from their credentials, not the body. */
export const RetrainRequestSchema = Type.Object(RetrainRequestFields, { additionalProperties: false });
export type RetrainRequest = Static<typeof RetrainRequestSchema>;

export const RetrainInputSchema = Type.Object(
  {
    ...RetrainRequestFields,
    /** Who started the retraining (recorded as the decider of an automatic decision; default 'ecgflow'). */
    requestedBy: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type RetrainInput = Static<typeof RetrainInputSchema>;

/** A person's answer to a retraining that waits for approval (the `decide` update of retrain-<tag>). */
export const RetrainApprovalSchema = Type.Object({
  approve: Type.Boolean(),
  /** The challenger's tag: approving the wrong model is refused. */
  tag: Type.String(),
  by: Type.String(),
  /** Required to reject. */
  reason: Type.Optional(Type.String()),
});
export type RetrainApproval = Static<typeof RetrainApprovalSchema>;

/** What an approver hears back while the retraining still waits for other approvers. */
export const RetrainApprovalPendingSchema = Type.Object({
  pending: Type.Literal(true),
  /** Distinct approvals so far, and how many are required. */
  approvals: Type.Integer(),
  required: Type.Integer(),
  reason: Type.String(),
});
export type RetrainApprovalPending = Static<typeof RetrainApprovalPendingSchema>;

export const ModelVerdictSchema = Type.Object({ tag: Type.String(), metrics: Type.Record(Type.String(), Type.Unknown()) });
export type ModelVerdict = Static<typeof ModelVerdictSchema>;

export const RetrainResultSchema = Type.Object({
  promoted: Type.Boolean(),
  reason: Type.String(),
  champion: Nullable(ModelVerdictSchema),
  challenger: ModelVerdictSchema,
});
export type RetrainResult = Static<typeof RetrainResultSchema>;

/** The `decide` update's answer: the retraining's result once decided, else how many approvals it still needs. */
export const RetrainDecisionReplySchema = Type.Union([RetrainResultSchema, RetrainApprovalPendingSchema]);
export type RetrainDecisionReply = Static<typeof RetrainDecisionReplySchema>;

export const RetrainPhaseSchema = Type.Enum(['training', 'evaluating', 'awaiting-approval', 'deciding', 'done']);
export type RetrainPhase = Static<typeof RetrainPhaseSchema>;

/** The `status` query of retrain-<tag>. */
export const RetrainStatusSchema = Type.Object({
  phase: RetrainPhaseSchema,
  tag: Type.String(),
  champion: Nullable(ModelVerdictSchema),
  challenger: Nullable(ModelVerdictSchema),
  /** The gates' verdict, once the models are evaluated. */
  verdict: Nullable(Type.String()),
  /** The answer that decided (the rejection, or the last approval needed); null while undecided. */
  approval: Nullable(RetrainApprovalSchema),
  /** Every answer so far, in order; approvers are distinct and never the requester. */
  approvals: Type.Array(RetrainApprovalSchema),
  approvalsRequired: Type.Integer(),
  requestedBy: Type.String(),
});
export type RetrainStatus = Static<typeof RetrainStatusSchema>;
