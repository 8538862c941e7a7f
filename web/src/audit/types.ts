// The API shapes the audit page reads, from the contracts the routes serve (types only: values
// would pull TypeBox into the bundle).

export type { AuditChainProblem, AuditChainProblemKind, AuditChainReport } from '../../../contracts/api/audit-chain';
export type { RunStatus, RunSummary, WorkflowType } from '../../../contracts/api/workflow-runs';
