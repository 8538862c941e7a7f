import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRAIN_GATES, judgeChallenger, parseApprovalTimeout, parseGates } from '../../common/retrain-gates';

const good = { rocAuc: 0.97, accuracy: 0.95, f1: 0.93 };

describe('retrain gates', () => {
  it('promotes without a champion when the minimums are met, and names the numbers', () => {
    expect(judgeChallenger(good, null, DEFAULT_RETRAIN_GATES)).toEqual({
      passed: true,
      reason: 'challenger passes the gates: ROC-AUC 0.9700 ≥ 0.9000, accuracy 0.9500 ≥ 0.8500, no champion to compare with',
    });
  });

  it('fails below a minimum, and lists every failure', () => {
    const verdict = judgeChallenger({ rocAuc: 0.8, accuracy: 0.7, f1: 0.6 }, null, DEFAULT_RETRAIN_GATES);
    expect(verdict.passed).toBe(false);
    expect(verdict.reason).toBe('challenger fails the gates: ROC-AUC 0.8000 is below the minimum 0.9000; accuracy 0.7000 is below the minimum 0.8500');
    expect(judgeChallenger({ rocAuc: null, accuracy: 1, f1: 1 }, null, DEFAULT_RETRAIN_GATES).reason).toMatch(/ROC-AUC is undefined/);
  });

  it('allows trailing the champion by the margin, not more, on the declared metric', () => {
    const champion = { tag: 'champ', metrics: { rocAuc: 0.975, accuracy: 0.99, f1: 0.99 } };
    expect(judgeChallenger(good, champion, DEFAULT_RETRAIN_GATES).passed).toBe(true);
    const strict = parseGates({ maxRegression: 0.001 });
    expect(judgeChallenger(good, champion, strict).reason).toBe(
      "challenger fails the gates: ROC-AUC 0.9700 against champion champ's 0.9750: worse by 0.0050, more than the allowed 0.0010",
    );
    // On accuracy the same challenger trails by 0.04.
    expect(judgeChallenger(good, champion, parseGates({ metric: 'accuracy' })).passed).toBe(false);
    expect(judgeChallenger(good, { tag: 'c', metrics: { rocAuc: null, accuracy: 0.5, f1: 0.5 } }, DEFAULT_RETRAIN_GATES).reason).toMatch(/champion c has no ROC-AUC/);
  });

  it('refuses bad gates and timeouts with the field named', () => {
    expect(parseGates({ minRocAuc: undefined })).toEqual(DEFAULT_RETRAIN_GATES);
    expect(() => parseGates({ minAccuracy: 2 })).toThrow(/gates\.minAccuracy/);
    expect(() => parseGates({ metric: 'loss' as never })).toThrow(/gates\.metric/);
    expect(parseApprovalTimeout('24h')).toBe(86_400_000);
    expect(parseApprovalTimeout('24 hours')).toBe(86_400_000);
    expect(parseApprovalTimeout(undefined)).toBe(7 * 86_400_000);
    expect(() => parseApprovalTimeout('soon')).toThrow(/approvalTimeout/);
    expect(() => parseApprovalTimeout('10ms')).toThrow(/at least 1s/);
  });
});
