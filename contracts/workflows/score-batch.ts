import { Type, type Static } from 'typebox';
import { DayRangeSchema, DayWindowFields, Tag } from '../schema';

// scoreBatch (score-<tag>-<from>-<to>): every beat of a day range scored by one model.

/** Chunks smaller than this only multiply activities and round trips (each chunk is one activity's write). */
export const MIN_CHUNK_SIZE = 100;

const ScoreRequestFields = {
  ...DayWindowFields,
  /** Default: the production model, else the newest. */
  modelTag: Type.Optional(Tag),
  /** Beats per activity. */
  chunkSize: Type.Optional(Type.Integer({ minimum: MIN_CHUNK_SIZE, maximum: 1_000_000 })),
};

/** What a person asks for (POST /score, `ecgflow infer`). */
export const ScoreRequestSchema = Type.Object(ScoreRequestFields, { additionalProperties: false });
export type ScoreRequest = Static<typeof ScoreRequestSchema>;

export const ScoreBatchInputSchema = Type.Object(
  {
    ...ScoreRequestFields,
    /**
     * Chunk activities in flight at once; by default 4, twice a worker's two activity slots, so a
     * worker finds its next chunk queued when one finishes and a second worker has chunks of its own.
     */
    concurrency: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Chunks planned per workflow run before it continues as new, which keeps every history small. */
    chunksPerRun: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
export type ScoreBatchInput = Static<typeof ScoreBatchInputSchema>;

/** The `progress` query of a scoring run. */
export const ScoreBatchProgressSchema = Type.Object({
  chunksDone: Type.Integer(),
  chunksPlanned: Type.Integer(),
  scored: Type.Integer(),
  anomalies: Type.Integer(),
});
export type ScoreBatchProgress = Static<typeof ScoreBatchProgressSchema>;

export const ScoreBatchResultSchema = Type.Object({
  scored: Type.Integer(),
  anomalies: Type.Integer(),
  modelTag: Type.String(),
  range: DayRangeSchema,
});
export type ScoreBatchResult = Static<typeof ScoreBatchResultSchema>;
