import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../config/env';

// The alerting rules shipped with the deployment (docker/prometheus/): valid for Prometheus,
// firing on what they should (promtool's own rule unit tests), and about series the code exports.

const run = promisify(execFile);
const DIR = path.join(projectRoot, 'docker/prometheus');
let promtool: string;

beforeAll(async () => {
  // Debian's promtool, taken out of its prometheus package (scripts/setup-promtool.sh).
  promtool = (await run('bash', [path.join(projectRoot, 'scripts/setup-promtool.sh')])).stdout.trim();
}, 120_000);

function sourcesBelow(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sourcesBelow(full) : full.endsWith('.ts') ? [full] : [];
  });
}

describe('the Prometheus alerting rules', () => {
  it('are valid rules in a valid configuration', async () => {
    expect((await run(promtool, ['check', 'rules', 'alerts.yml'], { cwd: DIR })).stdout).toMatch(/SUCCESS: 12 rules found/);
    await run(promtool, ['check', 'config', 'prometheus.yml'], { cwd: DIR });
  });

  it('alert on what operators must hear of', () => {
    const names = [...readFileSync(path.join(DIR, 'alerts.yml'), 'utf8').matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
    expect(names.sort()).toEqual(
      [
        'EcgflowActivitiesFailing', 'EcgflowAnomalyRateJump', 'EcgflowApiErrors', 'EcgflowDailyRunLate', 'EcgflowDayNotScored', 'EcgflowNoWorker',
        'EcgflowPipelineMetricsStale', 'EcgflowReviewerAgreementDrop', 'EcgflowSevereDrift', 'EcgflowTaskBacklog', 'EcgflowWorkerDown', 'EcgflowWorkflowFailed',
      ].sort(),
    );
  });

  it('fire on the series that should fire them, and not on those just short of it', async () => {
    expect((await run(promtool, ['test', 'rules', 'alerts.test.yml'], { cwd: DIR })).stdout).toMatch(/SUCCESS/);
  });

  it("have unit tests that catch a changed rule: agreement's bound moved from 0.85 to 0.65", async () => {
    const scratch = mkdtempSync(path.join(tmpdir(), 'ecgflow-alerts-'));
    try {
      copyFileSync(path.join(DIR, 'alerts.test.yml'), path.join(scratch, 'alerts.test.yml'));
      const rules = readFileSync(path.join(DIR, 'alerts.yml'), 'utf8');
      expect(rules).toContain('ecgflow_production_review_agreement < 0.85');
      writeFileSync(path.join(scratch, 'alerts.yml'), rules.replace('ecgflow_production_review_agreement < 0.85', 'ecgflow_production_review_agreement < 0.65'));
      const failed = await run(promtool, ['test', 'rules', 'alerts.test.yml'], { cwd: scratch }).then(
        () => null,
        (error: { stdout: string; stderr: string }) => error.stdout + error.stderr,
      );
      expect(failed).toMatch(/alertname: EcgflowReviewerAgreementDrop/);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('name only series the API and the workers export', () => {
    const rules = readFileSync(path.join(DIR, 'alerts.yml'), 'utf8');
    const named = new Set([...rules.matchAll(/\b(ecgflow_[a-z_]+)\b/g)].map((m) => m[1]!));
    const code = [...sourcesBelow(path.join(projectRoot, 'api')), ...sourcesBelow(path.join(projectRoot, 'workers'))].map((f) => readFileSync(f, 'utf8')).join('\n');
    const exported = new Set([...code.matchAll(/name: '(ecgflow_[a-z_]+)'/g)].map((m) => m[1]!));
    expect(named.size).toBeGreaterThan(5);
    expect([...named].filter((n) => !exported.has(n))).toEqual([]);
  });
});
