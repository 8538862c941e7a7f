import { Type, type Static } from 'typebox';

// archiveHistories (the Temporal Schedule ecgflow-archive, or `ecgflow audit archive`): closed
// runs' histories copied into MySQL so the audit trail outlives Temporal's retention.

export const ArchiveHistoriesInputSchema = Type.Object(
  {
    /** Runs per activity (default 100). */
    batchSize: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Batches per run (default 20); whatever is left waits for the next run of the schedule. */
    maxBatches: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
export type ArchiveHistoriesInput = Static<typeof ArchiveHistoriesInputSchema>;

export const UnarchivableRunSchema = Type.Object({ workflowId: Type.String(), runId: Type.String(), reason: Type.String() });
export type UnarchivableRun = Static<typeof UnarchivableRunSchema>;

export const ArchiveHistoriesResultSchema = Type.Object({
  archived: Type.Integer(),
  alreadyArchived: Type.Integer(),
  /** How many runs Temporal no longer had, and the first 100 of them. */
  unarchivableCount: Type.Integer(),
  unarchivable: Type.Array(UnarchivableRunSchema),
  notClosedYet: Type.Integer(),
  jsonBytes: Type.Integer(),
  storedBytes: Type.Integer(),
  batches: Type.Integer(),
  /** The last batch was full: more closed runs may wait for the next run. */
  more: Type.Boolean(),
});
export type ArchiveHistoriesResult = Static<typeof ArchiveHistoriesResultSchema>;
