import { Type, type Static } from 'typebox';

// GET /api/v1/pipeline/unscored-days: served by api/routes/pipeline/unscored-days.ts and read by the
// dashboard (web/src/types.ts re-exports the types).

export const UnscoredDaySchema = Type.Object({
  date: Type.String({ description: 'the UTC recording day, YYYY-MM-DD' }),
  beats: Type.Integer(),
  scored: Type.Integer({ description: 'beats of the day the production model has a prediction for' }),
  reason: Type.Union([Type.Literal('no_completed_run'), Type.Literal('beats_after_run')], {
    description: "'no_completed_run': the audit trail has no completed scoreBatch run of the production model covering the day; 'beats_after_run': it has, but beats stored since have no prediction",
  }),
  lastRun: Type.Union(
    [
      Type.Object({
        workflowId: Type.String(),
        runId: Type.String(),
        status: Type.Union([Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed')]),
        startedAt: Type.String({ format: 'date-time' }),
      }),
      Type.Null(),
    ],
    { description: 'the latest scoring run of the production model covering the day, however it ended' },
  ),
});
export type UnscoredDay = Static<typeof UnscoredDaySchema>;

export const UnscoredDaysSchema = Type.Object({
  productionModel: Type.Union([Type.Object({ tag: Type.String(), id: Type.Integer() }), Type.Null()]),
  checkedThrough: Type.String({ description: 'the last day checked: `to`, or yesterday (UTC) when earlier; today is still being recorded' }),
  days: Type.Array(UnscoredDaySchema, { description: 'newest first, at most `limit`' }),
  total: Type.Integer({ description: 'every listed day of the range' }),
});
export type UnscoredDays = Static<typeof UnscoredDaysSchema>;
