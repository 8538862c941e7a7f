import { Type } from 'typebox';
import { findDriftReport } from '../../../db/queries/api-reads';
import { HttpError } from '../../errors';
import { ErrorBody } from '../../schemas/common';
import type { ApiApp, ApiDeps } from '../../types';
import { detailOf } from './detail';
import { renderDriftReportHtml, reportFileName } from './html-report/document';
import { ReportIdParams } from './read';

/**
 * GET /drift-reports/:id/report.html: one report as a self-contained HTML file to download, keep
 * with an audit or mail on: charts as inline SVG, no script, nothing fetched.
 */
export async function driftHtmlReportRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {
  app.get(
    '/drift-reports/:id/report.html',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['read'],
        summary: 'One drift report as a single HTML file: verdict, thresholds, summary, charts (inline SVG) and every position',
        params: ReportIdParams,
        response: {
          200: { description: 'the report, as an attachment', content: { 'text/html': { schema: Type.String() } } },
          400: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const found = await findDriftReport(deps.db, request.params.id);
      if (!found) throw new HttpError(404, 'not_found', `no drift report has id ${request.params.id}`, 'params.id');
      const report = detailOf(found);
      return reply
        .type('text/html; charset=utf-8')
        .header('content-disposition', `attachment; filename="${reportFileName(report)}"`)
        // Belt and braces with the document's own policy: even served, it may fetch nothing.
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .header('x-content-type-options', 'nosniff')
        .send(renderDriftReportHtml(report, { generatedAt: new Date() }));
    },
  );
}
