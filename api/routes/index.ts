import type { ApiApp, ApiDeps } from '../types';
import { auditRoutes } from './audit/export';
import { auditVerifyRoutes } from './audit/verify';
import { driftReportRoutes } from './drift-reports/read';
import { driftHtmlReportRoutes } from './drift-reports/report-html';
import { ecgReadRoutes } from './ecgs/read';
import { reviewRoutes } from './ecgs/reviews';
import { ecgIngestRoutes } from './ecgs/upload';
import { modelRoutes } from './models/read';
import { retrainRoutes } from './models/retrains';
import { stageChangeRoutes } from './models/stage-changes';
import { pipelineRoutes } from './pipeline/unscored-days';
import { predictionRoutes } from './predictions/list';
import { reviewQueueRoutes } from './predictions/review-queue';
import { schedulePauseRoutes } from './schedule/pause';
import { scheduleRunRoutes } from './schedule/runs';
import { shadowReportRoutes } from './schedule/shadow-report';
import { scheduleStatusRoutes } from './schedule/status';
import { workflowRoutes } from './workflows/runs';
import { workflowStartRoutes } from './workflows/start';

/** Every /api/v1 route, by resource (one folder each); each route declares its schemas and the permission it needs. */
export async function registerApiRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {
  await app.register(async (s) => {
    await modelRoutes(s as ApiApp, deps);
    await stageChangeRoutes(s as ApiApp, deps);
    await retrainRoutes(s as ApiApp, deps);
  });
  await app.register(async (s) => {
    await ecgReadRoutes(s as ApiApp, deps);
    await reviewRoutes(s as ApiApp, deps);
    // The upload has its own body limit and content parsers: a scope of its own.
    await s.register(async (upload) => ecgIngestRoutes(upload as ApiApp, deps));
  });
  await app.register(async (s) => {
    await workflowStartRoutes(s as ApiApp, deps);
    await workflowRoutes(s as ApiApp, deps);
  });
  await app.register(async (s) => {
    await predictionRoutes(s as ApiApp, deps);
    await reviewQueueRoutes(s as ApiApp, deps);
  });
  await app.register(async (s) => {
    await driftReportRoutes(s as ApiApp, deps);
    await driftHtmlReportRoutes(s as ApiApp, deps);
  });
  await app.register(async (s) => pipelineRoutes(s as ApiApp, deps));
  await app.register(async (s) => {
    await scheduleStatusRoutes(s as ApiApp, deps);
    await schedulePauseRoutes(s as ApiApp, deps);
    await scheduleRunRoutes(s as ApiApp, deps);
    await shadowReportRoutes(s as ApiApp, deps);
  });
  await app.register(async (s) => {
    await auditRoutes(s as ApiApp, deps);
    await auditVerifyRoutes(s as ApiApp, deps);
  });
}
