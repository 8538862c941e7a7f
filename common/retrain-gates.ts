import { msToNumber } from '@temporalio/common/lib/time';
import type { RetrainGates } from '../contracts/workflows/retrain';

// Pure rules of retraining, shared by the retrain workflow (deterministic) and the CLI.

export const DEFAULT_RETRAIN_GATES: RetrainGates = Object.freeze({ metric: 'rocAuc', minRocAuc: 0.9, minAccuracy: 0.85, maxRegression: 0.01 });

export const DEFAULT_APPROVAL_TIMEOUT = '7 days';

/** The metrics a challenger may be judged by against the champion. */
export const GATE_METRICS = ['rocAuc', 'accuracy', 'f1'] as const;
const METRIC_NAMES: Record<(typeof GATE_METRICS)[number], string> = { rocAuc: 'ROC-AUC', accuracy: 'accuracy', f1: 'F1' };

/** The part of a model's metrics the gates read. */
export interface GateMetrics {
  rocAuc: number | null;
  accuracy: number;
  f1: number;
}

export interface GateVerdict {
  passed: boolean;
  reason: string;
}

/** Completes and checks the gates; a bad value is named, never silently replaced. */
export function parseGates(input: Partial<RetrainGates> = {}): RetrainGates {
  const gates = { ...DEFAULT_RETRAIN_GATES, ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) } as RetrainGates;
  if (!GATE_METRICS.includes(gates.metric)) throw new RangeError(`gates.metric: expected one of ${GATE_METRICS.join(', ')}, got ${JSON.stringify(gates.metric)}`);
  for (const field of ['minRocAuc', 'minAccuracy', 'maxRegression'] as const) {
    const value = gates[field];
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new RangeError(`gates.${field}: expected a number from 0 to 1, got ${JSON.stringify(value)}`);
  }
  return gates;
}

/** Milliseconds of an approval timeout such as '24h' or '7 days'; at least one second. */
export function parseApprovalTimeout(value: string | undefined): number {
  let ms: number;
  try {
    ms = msToNumber((value ?? DEFAULT_APPROVAL_TIMEOUT) as Parameters<typeof msToNumber>[0]);
  } catch {
    ms = Number.NaN;
  }
  if (!(ms >= 1000)) throw new RangeError(`approvalTimeout: expected a duration of at least 1s such as 24h or '7 days', got ${JSON.stringify(value)}`);
  return ms;
}

/**
 * Whether the challenger may replace the champion: it must reach the minimum ROC-AUC and
 * accuracy, and trail the champion on the declared metric by no more than the margin. Without a
 * champion the minimums alone decide. The reason names the numbers that decided.
 */
export function judgeChallenger(challenger: GateMetrics, champion: { tag: string; metrics: GateMetrics } | null, gates: RetrainGates): GateVerdict {
  const failures: string[] = [];
  if (challenger.rocAuc === null) failures.push('its ROC-AUC is undefined (the evaluation rows hold one class only)');
  else if (challenger.rocAuc < gates.minRocAuc) failures.push(`ROC-AUC ${fmt(challenger.rocAuc)} is below the minimum ${fmt(gates.minRocAuc)}`);
  if (challenger.accuracy < gates.minAccuracy) failures.push(`accuracy ${fmt(challenger.accuracy)} is below the minimum ${fmt(gates.minAccuracy)}`);

  const name = METRIC_NAMES[gates.metric];
  let comparison = 'no champion to compare with';
  if (champion) {
    const ours = challenger[gates.metric];
    const theirs = champion.metrics[gates.metric];
    if (theirs === null) {
      comparison = `champion ${champion.tag} has no ${name} to compare with`;
    } else if (ours !== null) {
      const gap = theirs - ours;
      comparison = `${name} ${fmt(ours)} against champion ${champion.tag}'s ${fmt(theirs)}`;
      if (gap > gates.maxRegression + 1e-12) failures.push(`${comparison}: worse by ${fmt(gap)}, more than the allowed ${fmt(gates.maxRegression)}`);
    }
  }
  if (failures.length > 0) return { passed: false, reason: `challenger fails the gates: ${failures.join('; ')}` };
  return {
    passed: true,
    reason: `challenger passes the gates: ROC-AUC ${fmt(challenger.rocAuc)} ≥ ${fmt(gates.minRocAuc)}, accuracy ${fmt(challenger.accuracy)} ≥ ${fmt(gates.minAccuracy)}, ${comparison}`,
  };
}

function fmt(value: number | null): string {
  return value === null ? '-' : value.toFixed(4);
}
