import { driftReportRoutes } from './routes/drift-reports';
import { ecgIngestRoutes } from './routes/ecg-ingest';
import { ecgReadRoutes } from './routes/ecgs';
import { modelRoutes } from './routes/models';
import { pipelineRoutes } from './routes/pipeline';
import { predictionRoutes } from './routes/predictions';
import { reviewRoutes } from './routes/reviews';
import type { ApiApp, ApiDeps } from './types';

/** The data routes: models, predictions, beats (read, upload and review), drift reports and the days left unscored. */
export async function dataRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {
  await predictionRoutes(app, deps);
  await modelRoutes(app, deps);
  await ecgReadRoutes(app, deps);
  await driftReportRoutes(app, deps);
  await pipelineRoutes(app, deps);
  await reviewRoutes(app, deps);
  await app.register(async (scope) => ecgIngestRoutes(scope as ApiApp, deps));
}
