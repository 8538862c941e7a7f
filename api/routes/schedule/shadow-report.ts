import { MAX_SHADOW_REPORT_DAYS, ShadowReportQuerySchema, ShadowReportSchema } from '../../../contracts/api/schedule';
import { chooseShadowModels, shadowReport, ShadowModelMissing } from '../../../db/queries/shadow';
import { HttpError } from '../../errors';
import { ErrorBody } from '../../schemas/common';
import type { ApiApp, ApiDeps } from '../../types';
import { checkedDayRange } from './day-ranges';

/** The staging model's shadow scoring against production's decisions, day by day: what a promotion would change. */
export async function shadowReportRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {
  app.get(
    '/shadow-report',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['read'],
        summary: 'Compare the decisions of a production and a staging model on the same beats, per UTC day and in total (default: the model in production and the newest in staging)',
        querystring: ShadowReportQuerySchema,
        response: { 200: ShadowReportSchema, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const { from, to, production, staging } = request.query;
      const range = checkedDayRange({ from, to }, 'querystring', MAX_SHADOW_REPORT_DAYS, 'ask for a shorter range');
      let models;
      try {
        models = await chooseShadowModels(deps.db, { production, staging });
      } catch (error) {
        if (!(error instanceof ShadowModelMissing)) throw error;
        const field = `querystring.${error.stage}`;
        throw new HttpError(404, 'not_found', error.tag === undefined ? `${error.message}; name one with ?${error.stage}=<tag>` : `${field}: ${error.message}`, field);
      }
      const report = await shadowReport(deps.db, { range: { from: range.from, to: range.to }, ...models });
      return { from: report.range.from, to: report.range.to, production: report.production, staging: report.staging, days: report.days, total: report.total };
    },
  );
}
