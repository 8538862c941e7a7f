import { Type, type Static } from 'typebox';
import { ModelStageSchema } from '../api/models';
import { Nullable } from '../schema';
import { GateOverridesSchema } from './retrain';

// promoteModel (promote-<tag>-<stage>) and rollbackModel (rollback-<tag>): a model's stage changed
// as one recorded step. POST /models/{tag}/promote|rollback, `ecgflow promote|rollback` and the
// workflows speak it.

const Reason = Type.String({ minLength: 1, maxLength: 1000 });

/** What a person asks for (POST /models/{tag}/promote): the tag is in the path, who asks in the credentials. */
export const PromoteRequestSchema = Type.Object(
  {
    reason: Reason,
    /** Default: production. */
    to: Type.Optional(Type.Union([Type.Literal('staging'), Type.Literal('production')])),
    /** The gates a promotion to production must pass against the champion, as for retraining. */
    gates: Type.Optional(GateOverridesSchema),
    force: Type.Optional(Type.Boolean({ description: 'promote to production past the gates; the stage history records that it was forced, and the reason' })),
  },
  { additionalProperties: false },
);
export type PromoteRequest = Static<typeof PromoteRequestSchema>;

export const PromoteModelInputSchema = Type.Object({
  tag: Type.String(),
  ...PromoteRequestSchema.properties,
  /** Who asked (the CLI sends the OS user). */
  by: Type.String(),
});
export type PromoteModelInput = Static<typeof PromoteModelInputSchema>;

/** Rejecting a challenger or rolling back says why. */
export const ReasonRequestSchema = Type.Object({ reason: Reason }, { additionalProperties: false });
export const ApproveRequestSchema = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false });

export const RollbackModelInputSchema = Type.Object({
  /** The production model to roll back; the rollback is refused if production has changed since. */
  currentTag: Type.String(),
  reason: Type.Optional(Type.String()),
  by: Type.String(),
});
export type RollbackModelInput = Static<typeof RollbackModelInputSchema>;

const ModelRefSchema = Type.Object({ id: Type.Integer(), tag: Type.String() });

export const StageHistoryRecordSchema = Type.Object({
  id: Type.Integer(),
  modelId: Type.Integer(),
  tag: Type.String(),
  fromStage: Nullable(ModelStageSchema),
  toStage: ModelStageSchema,
  changedAt: Type.String({ format: 'date-time' }),
  changedBy: Type.String(),
  reason: Type.String(),
  workflowId: Nullable(Type.String()),
});
export type StageHistoryRecord = Static<typeof StageHistoryRecordSchema>;

/** Both workflows' result: the change as it crossed workflow history (instants as ISO strings). */
export const StageChangeResultSchema = Type.Object({
  /** False when nothing had to change, e.g. a retried step that had already committed. */
  changed: Type.Boolean(),
  model: ModelRefSchema,
  from: ModelStageSchema,
  to: ModelStageSchema,
  /** The production model this change archived, if any. */
  archived: Nullable(ModelRefSchema),
  /** The history rows written by this change (or by the earlier attempt it repeats). */
  entries: Type.Array(StageHistoryRecordSchema),
});
export type StageChangeResult = Static<typeof StageChangeResultSchema>;
