import { Type, type Static } from 'typebox';

// GET /api/v1/audit/verify: served by api/routes/audit/verify.ts and read by the audit page
// (web/src/audit/), which takes its types from here.

export const AuditChainProblemSchema = Type.Object({
  kind: Type.Union([Type.Literal('altered'), Type.Literal('removed'), Type.Literal('inserted'), Type.Literal('entry_altered'), Type.Literal('entry_unlinked'), Type.Literal('entries_missing'), Type.Literal('head_mismatch')], {
    description:
      "a row 'altered' (it no longer matches its latest ledger entry), 'removed' (the ledger vouches for it, the table has no such row) or 'inserted' (no ledger entry vouches for it); a ledger entry edited ('entry_altered'), not linking to the one before ('entry_unlinked') or missing ('entries_missing'); or the head not matching the ledger's end ('head_mismatch')",
  }),
  table: Type.Union([Type.String(), Type.Null()]),
  rowId: Type.Union([Type.String(), Type.Null()], { description: 'the row id, or for workflow runs the JSON pair [workflowId, runId]' }),
  seq: Type.Union([Type.Integer(), Type.Null()], { description: 'the ledger entry concerned (a row: its latest entry)' }),
  message: Type.String(),
});
export type AuditChainProblem = Static<typeof AuditChainProblemSchema>;
export type AuditChainProblemKind = AuditChainProblem['kind'];

export const AuditChainReportSchema = Type.Object({
  ok: Type.Boolean({ description: 'true when the chain is whole' }),
  head: Type.Union([Type.Object({ seq: Type.Integer(), hash: Type.String() }), Type.Null()], { description: "the ledger's last entry: record it elsewhere to detect a ledger rewritten whole" }),
  entries: Type.Integer({ description: 'ledger entries walked' }),
  rows: Type.Integer({ description: 'audited rows checked' }),
  problemCount: Type.Integer(),
  problems: Type.Array(AuditChainProblemSchema, { description: 'the first `maxProblems`, in the order found: ledger, head, then rows table by table' }),
  firstProblem: Type.Union([Type.String(), Type.Null()]),
  verifiedAt: Type.String({ format: 'date-time' }),
});
export type AuditChainReport = Static<typeof AuditChainReportSchema>;
