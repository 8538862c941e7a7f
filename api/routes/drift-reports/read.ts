import { Type } from 'typebox';
import { DriftReportDetailSchema, DriftReportListSchema } from '../../../contracts/api/drift-reports';
import { findDriftReport, listDriftReports } from '../../../db/queries/api-reads';
import { findModelByTag } from '../../../db/queries/models';
import { HttpError } from '../../errors';
import { instantOf } from '../../instants';
import { ErrorBody, Tag } from '../../schemas/common';
import type { ApiApp, ApiDeps } from '../../types';
import { detailOf, reportOf } from './detail';

const History = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date-time', description: 'reports whose checked days end after this' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'reports whose checked days start before this' })),
    modelTag: Type.Optional(Tag),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  },
  { additionalProperties: false },
);

export const ReportIdParams = Type.Object({ id: Type.Integer({ minimum: 1, description: 'a drift report id' }) });

/** Drift reports: their history over a time range (one model or all), and one report in full. */
export async function driftReportRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {
  app.get(
    '/drift-reports',
    { config: { permission: 'read' }, schema: { tags: ['read'], summary: 'Drift reports overlapping a time range, newest range first', querystring: History, response: { 200: DriftReportListSchema, 400: ErrorBody, 404: ErrorBody } } },
    async (request) => {
      const { from, to, modelTag, limit } = request.query;
      const range = { from: from === undefined ? undefined : instantOf(from, 'querystring.from'), to: to === undefined ? undefined : instantOf(to, 'querystring.to') };
      if (range.from && range.to && range.to <= range.from) {
        throw new HttpError(400, 'invalid_request', `querystring.to: ${to} is not after from (${from})`, 'querystring.to', { rule: 'from_before_to' });
      }
      // An unknown tag is a typo far more often than a model with no reports yet: say so.
      if (modelTag !== undefined && !(await findModelByTag(deps.db, modelTag))) {
        throw new HttpError(404, 'not_found', `no model has tag ${modelTag}`, 'querystring.modelTag');
      }
      const rows = await listDriftReports(deps.db, { ...range, modelTag, limit });
      return { items: rows.map(reportOf) };
    },
  );

  app.get(
    '/drift-reports/:id',
    {
      config: { permission: 'read' },
      schema: { tags: ['read'], summary: 'One drift report in full: thresholds, score distributions, and PSI and both mean beats at every position', params: ReportIdParams, response: { 200: DriftReportDetailSchema, 400: ErrorBody, 404: ErrorBody } },
    },
    async (request) => {
      const found = await findDriftReport(deps.db, request.params.id);
      if (!found) throw new HttpError(404, 'not_found', `no drift report has id ${request.params.id}`, 'params.id');
      return detailOf(found);
    },
  );
}
