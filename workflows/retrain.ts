import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  defineQuery,
  defineUpdate,
  executeChild,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ModelBrief, WindowEvaluation } from '../activities/retrain';
import { parseDay } from '../common/dates';
import { DEFAULT_APPROVAL_TIMEOUT, judgeChallenger, parseApprovalTimeout, parseGates } from '../common/retrain-gates';
import { validateModelTag } from '../common/tags';
import { trainWorkflowId } from './ids';
import { dataDateOf, inheritedMemo, withAuditTrail } from './audit';
import { evaluateModelsOnWindow, findChampion, findModelBrief, recordRetrainDecision } from './retrain-activities';
import type { trainModel } from './trainModel';
import type { RetrainApproval, RetrainDecisionReply, RetrainGates, RetrainInput, RetrainResult, RetrainStatus } from '../contracts/workflows/retrain';


export const retrainStatusQuery = defineQuery<RetrainStatus>('status');

/**
 * Approve or reject a retraining that waits for people; returns the retraining's result once the
 * decision is applied, or, while more approvers are needed, how many have approved.
 */
export const retrainDecisionUpdate = defineUpdate<RetrainDecisionReply, [RetrainApproval]>('decide');

/** How often a champion that changed during training is re-read and the challenger compared again. */
const MAX_REJUDGEMENTS = 3;

interface Decision {
  promoteTo: 'production' | 'staging' | null;
  reason: string;
  decidedBy: string;
}

/**
 * Trains a challenger under a new tag (child workflow train-<tag>), scores it and the champion on
 * the same held-out labelled beats of the window, and promotes it only if it passes the gates (and,
 * when asked, a person approves). A workflow because training takes minutes and approval may take
 * days: a worker restart loses neither, and the decision is recorded exactly once.
 */
export async function retrain(input: RetrainInput): Promise<RetrainResult> {
  return withAuditTrail('retrain', input, { modelTag: input.tag, dataDate: dataDateOf(input) }, () => retrainRun(input));
}

async function retrainRun(input: RetrainInput): Promise<RetrainResult> {
  const settings = settingsOrFail(input);
  const { tag } = settings;
  const status: RetrainStatus = {
    phase: 'training',
    tag,
    champion: null,
    challenger: null,
    verdict: null,
    approval: null,
    approvals: [],
    approvalsRequired: settings.approvers,
    requestedBy: settings.requestedBy,
  };
  let result: RetrainResult | undefined;
  setHandler(retrainStatusQuery, () => status);
  setHandler(
    retrainDecisionUpdate,
    async (approval): Promise<RetrainDecisionReply> => {
      status.approvals.push(approval);
      if (!answered(status)) return pendingReply(status);
      status.approval = approval;
      await condition(() => result !== undefined);
      return result!;
    },
    { validator: (approval) => validateApproval(status, approval) },
  );

  let judged = await judge(settings, await findChampion(), status, async () => trainChallenger(settings));
  let decision = await decide(settings, judged.verdict, status);
  // A decision taken without a person may be taken again: if production changed while the
  // challenger trained or was scored, compare it with the model in production now.
  if (decision.promoteTo === 'production' && !settings.requireApproval && patched('retrain-rejudges-a-changed-champion')) {
    for (let round = 0; round < MAX_REJUDGEMENTS; round++) {
      const current = await findChampion();
      if ((current?.modelId ?? null) === (judged.champion?.modelId ?? null)) break;
      judged = await judge(settings, current, status);
      decision = await decide(settings, judged.verdict, status);
      if (decision.promoteTo !== 'production') break;
    }
  }
  status.phase = 'deciding';
  const recorded = await recordRetrainDecision({
    challengerTag: tag,
    championTag: status.champion?.tag ?? null,
    promoteTo: decision.promoteTo,
    reason: decision.reason,
    decidedBy: decision.decidedBy,
    details: detailsOf(settings, judged.evaluation, judged.champion, status),
    requestedAt: workflowInfo().runStartTime.toISOString(),
    // The database refuses the promotion if production is no longer the model judged against.
    // (A challenger already in production, on a rerun, was judged against nobody else.)
    judgedChampionId: judged.champion?.tag === tag ? undefined : (judged.champion?.modelId ?? null),
  });
  const final: RetrainResult = { promoted: recorded.promoted, reason: recorded.reason, champion: status.champion, challenger: status.challenger! };
  result = final;
  status.phase = 'done';
  // An approver's update returns this result; let it reply before the workflow completes.
  await condition(allHandlersFinished);
  return final;
}

interface Judgement {
  champion: ModelBrief | null;
  evaluation: WindowEvaluation;
  verdict: { passed: boolean; reason: string };
}

/** Scores the challenger and the champion on the same held-out beats and applies the gates. */
async function judge(settings: RetrainSettings, champion: ModelBrief | null, status: RetrainStatus, beforeEvaluating?: () => Promise<void>): Promise<Judgement> {
  const { tag } = settings;
  await beforeEvaluating?.();
  status.phase = 'evaluating';
  const rival = champion && champion.tag !== tag ? champion : null;
  const evaluation = await evaluateModelsOnWindow({
    modelTags: rival ? [tag, rival.tag] : [tag],
    range: { from: settings.from, to: settings.to },
    includeReviewed: settings.includeReviewed,
    heldOutOf: tag,
  });
  status.challenger = { tag, metrics: { ...evaluation.metrics[tag]! } };
  status.champion = rival ? { tag: rival.tag, metrics: { ...evaluation.metrics[rival.tag]! } } : null;
  const verdict = judgeChallenger(evaluation.metrics[tag]!, rival && { tag: rival.tag, metrics: evaluation.metrics[rival.tag]! }, settings.gates);
  status.verdict = verdict.reason;
  return { champion, evaluation, verdict };
}

interface RetrainSettings {
  tag: string;
  from?: string;
  to?: string;
  includeReviewed: boolean;
  autoPromote: boolean;
  requireApproval: boolean;
  approvalTimeoutMs: number;
  approvalTimeout: string;
  gates: RetrainGates;
  requestedBy: string;
  approvers: number;
  training: NonNullable<RetrainInput['training']>;
}

function settingsOrFail(input: RetrainInput): RetrainSettings {
  try {
    validateModelTag(input.tag);
    if (input.from !== undefined) parseDay(input.from, 'from');
    if (input.to !== undefined) parseDay(input.to, 'to');
    if (input.from !== undefined && input.to !== undefined && input.to < input.from) throw new Error(`to (${input.to}) is before from (${input.from})`);
    return {
      tag: input.tag,
      from: input.from,
      to: input.to,
      includeReviewed: input.includeReviewed ?? true,
      autoPromote: input.autoPromote ?? true,
      requireApproval: input.requireApproval ?? false,
      approvalTimeoutMs: parseApprovalTimeout(input.approvalTimeout),
      approvalTimeout: input.approvalTimeout ?? DEFAULT_APPROVAL_TIMEOUT,
      gates: parseGates(input.gates),
      requestedBy: input.requestedBy?.trim() || 'ecgflow',
      approvers: approversOf(input.approvers),
      training: input.training ?? {},
    };
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message, 'InvalidInput');
  }
}

/**
 * The challenger is an ordinary model: trained by the trainModel workflow under its usual id. A
 * rerun of this retraining finds the model its earlier run saved and does not train it again; so
 * does a retraining whose tag `ecgflow train` already trained, which then only judges that model.
 */
async function trainChallenger(settings: RetrainSettings): Promise<void> {
  const existing = await findModelBrief({ tag: settings.tag });
  if (existing) {
    if (existing.workflowId !== trainWorkflowId(settings.tag)) {
      throw ApplicationFailure.nonRetryable(`model tag "${settings.tag}" is already in use (made by workflow ${existing.workflowId}); choose another tag`, 'TagInUse');
    }
    return;
  }
  await executeChild<typeof trainModel>('trainModel', {
    workflowId: trainWorkflowId(settings.tag),
    args: [{ ...settings.training, tag: settings.tag, from: settings.from, to: settings.to, includeReviewed: settings.includeReviewed }],
    ...inheritedMemo(),
  });
}

/**
 * What becomes of the challenger. Failing the gates keeps the champion. Passing them promotes it,
 * unless auto-promotion is off (then it goes to staging, where shadow scoring can watch it; no
 * approval is asked for) or a person must approve first (then it waits, and silence rejects).
 */
async function decide(settings: RetrainSettings, verdict: { passed: boolean; reason: string }, status: RetrainStatus): Promise<Decision> {
  if (!verdict.passed) return { promoteTo: null, reason: `${verdict.reason}; the champion stays`, decidedBy: settings.requestedBy };
  if (!settings.autoPromote) {
    return { promoteTo: 'staging', reason: `${verdict.reason}; auto-promotion is off, so the challenger goes to staging`, decidedBy: settings.requestedBy };
  }
  if (!settings.requireApproval) return { promoteTo: 'production', reason: verdict.reason, decidedBy: settings.requestedBy };

  status.phase = 'awaiting-approval';
  await condition(() => answered(status), settings.approvalTimeoutMs);
  // Read the answers, not the timer: an answer that arrived with the timeout still counts.
  const rejection = status.approvals.find((a) => !a.approve);
  const approvals = status.approvals.filter((a) => a.approve);
  status.phase = 'deciding';
  if (rejection) return { promoteTo: null, reason: `rejected by ${rejection.by}: ${rejection.reason}`, decidedBy: rejection.by };
  if (approvals.length < settings.approvers) {
    const got = settings.approvers > 1 ? ` (${approvals.length} of ${settings.approvers} approvals)` : '';
    return { promoteTo: null, reason: `${verdict.reason}; no approval within ${settings.approvalTimeout}${got}, so rejected`, decidedBy: 'approval-timeout' };
  }
  const said = approvals.map((a) => `${a.by}${a.reason ? `: ${a.reason}` : ''}`).join('; ');
  return { promoteTo: 'production', reason: `approved by ${said}; ${verdict.reason}`, decidedBy: approvals.map((a) => a.by).join(' and ') };
}

/** Decided: someone rejected, or enough distinct people approved. */
function answered(status: RetrainStatus): boolean {
  return status.approvals.some((a) => !a.approve) || status.approvals.filter((a) => a.approve).length >= status.approvalsRequired;
}

function pendingReply(status: RetrainStatus): RetrainDecisionReply {
  const approvals = status.approvals.filter((a) => a.approve).length;
  const missing = status.approvalsRequired - approvals;
  return { pending: true, approvals, required: status.approvalsRequired, reason: `approval ${approvals} of ${status.approvalsRequired} recorded; waiting for ${missing} more approver${missing === 1 ? '' : 's'}` };
}

/** The same person under different spacing or case is still the same person. */
function samePerson(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

function approversOf(value: number | undefined): number {
  if (value === undefined) return 1;
  if (!Number.isInteger(value) || value < 1 || value > 5) throw new RangeError(`approvers: expected a whole number from 1 to 5, got ${JSON.stringify(value)}`);
  return value;
}

/** Refuses (before it is recorded) an answer to the wrong model, a second answer, or one that comes too early. */
function validateApproval(status: RetrainStatus, approval: RetrainApproval): void {
  if (status.approval) {
    throw new Error(`retraining of "${status.tag}" was already ${status.approval.approve ? 'approved' : 'rejected'} by ${status.approval.by}`);
  }
  if (approval?.tag !== status.tag) throw new Error(`this retraining decides on "${status.tag}", not ${JSON.stringify(approval?.tag)}`);
  if (typeof approval.by !== 'string' || !approval.by.trim()) throw new Error('say who decides (by)');
  if (typeof approval.approve !== 'boolean') throw new Error('approve must be true or false');
  if (!approval.approve && !approval.reason?.trim()) throw new Error('a rejection needs a reason');
  if (status.phase !== 'awaiting-approval') {
    throw new Error(status.phase === 'deciding' || status.phase === 'done'
      ? `retraining of "${status.tag}" has already been decided`
      : `retraining of "${status.tag}" is not waiting for approval (it is ${status.phase})`);
  }
  // Four eyes: whoever asked for the retraining may withdraw it, never approve it.
  if (approval.approve && samePerson(approval.by, status.requestedBy)) {
    throw new Error(`${approval.by} started this retraining and cannot approve it; another person must`);
  }
  const earlier = status.approvals.find((a) => a.approve && samePerson(a.by, approval.by));
  if (earlier) throw new Error(`${approval.by} has already approved this retraining; ${status.approvalsRequired} distinct approvers are needed`);
}

function detailsOf(settings: RetrainSettings, evaluation: WindowEvaluation, champion: ModelBrief | null, status: RetrainStatus): object {
  return {
    window: { from: settings.from ?? null, to: settings.to ?? null, includeReviewed: settings.includeReviewed },
    gates: settings.gates,
    evaluation: { rows: evaluation.rows, firstId: evaluation.firstId, lastId: evaluation.lastId, split: evaluation.split },
    champion: status.champion ? { ...status.champion, modelId: champion?.modelId } : null,
    challenger: status.challenger,
    verdict: status.verdict,
    autoPromote: settings.autoPromote,
    requireApproval: settings.requireApproval,
    approval: status.approval,
    approvals: status.approvals,
    approversRequired: settings.approvers,
    requestedBy: settings.requestedBy,
  };
}
