// The attack table: every scenario of tests/attacks/ run against a fresh `ecgflow api` process on
// the real services, with a /healthz probe every 100 ms. Prints, per attack: requests sent, answers
// by status, the probe's worst wait, the API's peak RSS and the temp bytes it left behind.
//
// With BENCH_ATTACK_BASELINE=<git ref> (npm run bench sets the commit before the hardening), each
// attack also runs, in the same run, against that version checked out in .data/attack-baseline,
// and the table shows both side by side with the ratios.
import { execFileSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config/env';
import { attackFresh, ATTACK_HEADER, formatAttackRow, type AttackResult, type AttackScenario } from '../tests/attacks/harness/run';
import { API_LIMIT_SCENARIOS } from '../tests/attacks/scenarios/api-limits';
import { EXPORT_SCENARIOS } from '../tests/attacks/scenarios/export';
import { hostileFileScenarios } from '../tests/attacks/scenarios/hostile-files';
import { metricsScenarios } from '../tests/attacks/scenarios/metrics';

const SCENARIOS: AttackScenario[] = [...API_LIMIT_SCENARIOS, ...hostileFileScenarios, ...EXPORT_SCENARIOS, ...metricsScenarios];

/** A detached worktree of `ref` sharing this checkout's node_modules; returns its CLI. */
function baselineCli(ref: string): string {
  const dir = path.join(projectRoot, '.data', 'attack-baseline');
  if (!existsSync(dir)) execFileSync('git', ['worktree', 'add', '--detach', '--force', dir, ref], { cwd: projectRoot, stdio: 'ignore' });
  else execFileSync('git', ['checkout', '--detach', '--force', ref], { cwd: dir, stdio: 'ignore' });
  if (!existsSync(path.join(dir, 'node_modules'))) symlinkSync(path.join(projectRoot, 'node_modules'), path.join(dir, 'node_modules'));
  return path.join(dir, 'bin', 'ecgflow.mjs');
}

const ratio = (before: number, after: number) => (after > 0 ? `${(before / after).toFixed(1)}×` : '—');
const growthMiB = (r: AttackResult) => Math.max(1, (r.peakRssBytes - r.baselineRssBytes) / 2 ** 20);

const baselineRef = process.env.BENCH_ATTACK_BASELINE;
const oldCli = baselineRef ? baselineCli(baselineRef) : undefined;
const rows: string[] = [];
const ratios: string[] = [];
for (const [i, scenario] of SCENARIOS.entries()) {
  const now = await attackFresh(`bench${i}`, scenario);
  rows.push(formatAttackRow({ ...now, attack: `${scenario.name}: this build` }));
  if (!oldCli) continue;
  const old = await attackFresh(`bench${i}-old`, scenario, undefined, oldCli);
  rows.push(formatAttackRow({ ...old, attack: `${scenario.name}: ${baselineRef}` }));
  ratios.push(`| ${scenario.name} | ${old.probeWorstMs} / ${now.probeWorstMs} ms (${ratio(old.probeWorstMs, now.probeWorstMs)}) | ${growthMiB(old).toFixed(0)} / ${growthMiB(now).toFixed(0)} MiB (${ratio(growthMiB(old), growthMiB(now))}) |`);
}
process.stdout.write(`\nAttack table (one fresh API process per attack; probe: GET /healthz every 100 ms)\n${ATTACK_HEADER}\n|---|---|---|---|---|---|\n${rows.join('\n')}\n`);
if (ratios.length > 0) {
  process.stdout.write(`\nBefore (${baselineRef}) / this build, same run\n| attack | probe worst wait | API RSS growth |\n|---|---|---|\n${ratios.join('\n')}\n`);
}
