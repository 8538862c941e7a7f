import type { ApiRole } from '../../db/database';

/** What a route needs; roles are sets of these, so a route never names roles itself. */
export type Permission =
  | 'train' // start training, retraining, promotions and approvals
  | 'score' // start scoring and drift detection
  | 'poll' // read a workflow's status and result
  | 'read' // read models, predictions, beats, drift reports, workflow lists and histories
  | 'export' // the audit workbook and the audit chain's verification
  | 'ingest' // upload beats
  | 'review' // confirm or correct predictions
  | 'self'; // see the calling key's own name, role and permissions

export const ROLE_PERMISSIONS: Record<ApiRole, readonly Permission[]> = {
  engineer: ['train', 'score', 'poll', 'read', 'export', 'ingest', 'review', 'self'],
  scheduler: ['score', 'poll', 'self'],
  auditor: ['poll', 'read', 'export', 'self'],
  reviewer: ['poll', 'read', 'review', 'self'],
};

export function allows(role: ApiRole, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}
