import { Type } from 'typebox';
import { DriftReportDetailSchema, DriftReportListSchema } from '../../../contracts/api/drift-reports';
import { findDriftReport, listDriftReports } from '../../../db/queries/api-reads';
import type { DriftReportTable } from '../../../db/database';
import type { Selectable } from 'kysely';
import { HttpError } from '../../errors';
import { instantOf } from '../../instants';
import type { ApiApp, ApiDeps } from '../../types';

const Range = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time', description: 'reports whose range ends after this' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'reports whose range starts before this' })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
});

/** Drift reports: the list over a time range, and one report with its 140 per-position PSIs. */
export async function driftReportRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {
  app.get('/drift-reports', { config: { permission: 'read' }, schema: { tags: ['read'], querystring: Range, response: { 200: DriftReportListSchema } } }, async (request) => {
    const { from, to, limit } = request.query;
    const rows = await listDriftReports(deps.db, { from: from === undefined ? undefined : instantOf(from, 'querystring.from'), to: to === undefined ? undefined : instantOf(to, 'querystring.to'), limit });
    return { items: rows.map(reportOf) };
  });

  app.get(
    '/drift-reports/:id',
    { config: { permission: 'read' }, schema: { tags: ['read'], params: Type.Object({ id: Type.Integer({ minimum: 1 }) }), response: { 200: DriftReportDetailSchema } } },
    async (request) => {
      const found = await findDriftReport(deps.db, request.params.id);
      if (!found) throw new HttpError(404, 'not_found', `no drift report has id ${request.params.id}`, 'params.id');
      return { ...reportOf(found.report), positions: found.positions };
    },
  );
}

function reportOf(r: Selectable<DriftReportTable> & { modelTag: string }) {
  return {
    id: r.id,
    modelTag: r.modelTag,
    rangeFrom: r.range_from.toISOString(),
    rangeTo: r.range_to.toISOString(),
    status: r.status,
    sampleSize: r.sample_size,
    driftedShare: r.drifted_share,
    moderateShare: r.moderate_share,
    psiMax: r.psi_max,
    ksStatistic: r.ks_statistic,
    ksPValue: r.ks_p_value,
    anomalyRate: r.anomaly_rate,
    baselineAnomalyRate: r.baseline_anomaly_rate,
    policy: JSON.parse(r.policy) as unknown,
    workflowId: r.workflow_id,
    createdAt: r.created_at.toISOString(),
  };
}
