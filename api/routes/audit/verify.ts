import { Type } from 'typebox';
import { ErrorBody } from '../../schemas/common';
import { AuditChainReportSchema } from '../../../contracts/api/audit-chain';
import type { Kysely } from 'kysely';
import { AUDIT_CHAIN_START } from '../../../db/audit-hash';
import type { Database } from '../../../db/database';
import { verifyAuditChain, type AuditChainReport } from '../../../db/queries/audit-chain';
import type { AuditChainSource } from './workbook/cover';
import type { ApiApp, ApiDeps } from '../../types';

/**
 * GET /audit/verify: the hash chain of the audit tables walked for an auditor, as `ecgflow audit
 * verify` walks it. The walk reads a page per statement, so each stays within
 * API_STATEMENT_TIMEOUT_MS however long the ledger; one walk runs at a time, and callers asking
 * meanwhile share its answer rather than starting more.
 */
export async function auditVerifyRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {
  app.get(
    '/audit/verify',
    {
      config: { permission: 'export' },
      schema: {
        tags: ['audit'],
        summary: 'Verify the hash chain of the audit tables: whole, or the first altered, removed or inserted row or ledger entry',
        querystring: Type.Object({ maxProblems: Type.Integer({ minimum: 1, maximum: 1000, default: 20 }) }, { additionalProperties: false }),
        response: { 200: AuditChainReportSchema, 400: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const report = await verifyOnce(deps.db);
      const problems = report.problems.slice(0, request.query.maxProblems);
      return { ...report, problems, verifiedAt: report.verifiedAt.toISOString() };
    },
  );
}

const walks = new WeakMap<Kysely<Database>, Promise<AuditChainReport>>();

/** One walk of a database's chain at a time: whoever asks while it runs (a route, an export) shares its report. */
export function verifyOnce(db: Kysely<Database>): Promise<AuditChainReport> {
  let walk = walks.get(db);
  if (!walk) {
    walk = verifyAuditChain(db, { maxProblems: 1000 }).finally(() => walks.delete(db));
    walks.set(db, walk);
  }
  return walk;
}

/** The chain's status for the audit workbook's cover (ApiDeps.auditChain): verified as the export begins, with the head it verified. */
export function auditChainSource(db: Kysely<Database>): AuditChainSource {
  return {
    async status() {
      const report = await verifyOnce(db);
      const head = report.head ?? { seq: 0, hash: AUDIT_CHAIN_START };
      const problem = report.firstProblem === null ? undefined : `${report.firstProblem.replace(/^audit chain broken: /, '')}${report.problemCount > 1 ? ` (${report.problemCount} problems in all; GET /api/v1/audit/verify lists them)` : ''}`;
      return { ok: report.ok, headSeq: head.seq, headHash: head.hash, ...(problem === undefined ? {} : { problem }) };
    },
  };
}
