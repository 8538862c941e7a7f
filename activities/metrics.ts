/**
 * What the pipeline's activities count, injected through their factories' deps so that ml/ and the
 * activities stay free of any metrics library; the worker passes a Prometheus implementation
 * (workers/metrics.ts), tests and other callers get the no-op one.
 */
export interface PipelineMetrics {
  /** Beats scored and written by a scoreChunk attempt (counted per written page). */
  beatsScored(count: number): void;
  /** Wall time of one scoreChunk attempt, in seconds. */
  chunkSeconds(seconds: number): void;
  /** Epochs one candidate trained, by model kind (a fixed, tiny set of values). */
  trainingEpochs(kind: string, epochs: number): void;
}

export const noPipelineMetrics: PipelineMetrics = {
  beatsScored: () => undefined,
  chunkSeconds: () => undefined,
  trainingEpochs: () => undefined,
};
