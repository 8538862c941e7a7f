// The shapes of the API answers the pages read: each is the type of the schema the API's route
// serves (and OpenAPI documents), taken from the one contract both use.

export type { Me, Review, ReviewOutcome, DailyStat, DailyStats } from '../../contracts/api/reviews';
export type { PredictionItem, PredictionPage } from '../../contracts/api/predictions';
export type { ReviewOrder, ReviewQueue } from '../../contracts/api/review-queue';
export type { Beat, BeatPrediction } from '../../contracts/api/ecgs';
export type { ModelDetail, ModelList, ModelSummary, ProductionModel, TrainingEvaluation } from '../../contracts/api/models';
export type { RunDetail } from '../../contracts/api/workflow-runs';
export type { Band, DriftPosition, DriftReport, DriftReportDetail, DriftReportList, ScoreDistributions } from '../../contracts/api/drift-reports';
export type { UnscoredDay, UnscoredDays } from '../../contracts/api/pipeline';
export type { RunSummary as WorkflowRun, TimelineEntry, RunTimeline as Timeline } from '../../contracts/api/workflow-runs';
