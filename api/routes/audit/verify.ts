import { Type } from 'typebox';
import { ErrorBody } from '../../schemas/common';
import type { Kysely } from 'kysely';
import { AUDIT_CHAIN_START } from '../../../db/audit-hash';
import type { Database } from '../../../db/database';
import { verifyAuditChain, type AuditChainReport } from '../../../db/queries/audit-chain';
import type { AuditChainSource } from './workbook/cover';
import type { ApiApp, ApiDeps } from '../../types';


const Problem = Type.Object({
  kind: Type.Union([Type.Literal('altered'), Type.Literal('removed'), Type.Literal('inserted'), Type.Literal('entry_altered'), Type.Literal('entry_unlinked'), Type.Literal('entries_missing'), Type.Literal('head_mismatch')], {
    description:
      "a row 'altered' (it no longer matches its latest ledger entry), 'removed' (the ledger vouches for it, the table has no such row) or 'inserted' (no ledger entry vouches for it); a ledger entry edited ('entry_altered'), not linking to the one before ('entry_unlinked') or missing ('entries_missing'); or the head not matching the ledger's end ('head_mismatch')",
  }),
  table: Type.Union([Type.String(), Type.Null()]),
  rowId: Type.Union([Type.String(), Type.Null()], { description: 'the row id, or for workflow runs the JSON pair [workflowId, runId]' }),
  seq: Type.Union([Type.Integer(), Type.Null()], { description: 'the ledger entry concerned (a row: its latest entry)' }),
  message: Type.String(),
});

const Report = Type.Object({
  ok: Type.Boolean({ description: 'true when the chain is whole' }),
  head: Type.Union([Type.Object({ seq: Type.Integer(), hash: Type.String() }), Type.Null()], { description: "the ledger's last entry: record it elsewhere to detect a ledger rewritten whole" }),
  entries: Type.Integer({ description: 'ledger entries walked' }),
  rows: Type.Integer({ description: 'audited rows checked' }),
  problemCount: Type.Integer(),
  problems: Type.Array(Problem, { description: 'the first `maxProblems`, in the order found: ledger, head, then rows table by table' }),
  firstProblem: Type.Union([Type.String(), Type.Null()]),
  verifiedAt: Type.String({ format: 'date-time' }),
});

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
        response: { 200: Report, 400: ErrorBody, 503: ErrorBody },
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
