import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../../../config/env';
import { tableCounts } from './counts';
import { filesLeft } from './files';
import { HealthProbe } from './probe';
import { RssSampler } from './rss';
import type { Tally } from './send';
import { startAttackTarget, type AttackTarget } from './target';

/** One row of the attack table. */
export interface AttackResult {
  attack: string;
  tally: Tally;
  /** The longest /healthz waited (or was still waiting) during the attack and the settle time after it. */
  probeWorstMs: number;
  probeFailures: number;
  baselineRssBytes: number;
  peakRssBytes: number;
  tempFilesLeft: string[];
  tempBytesLeft: number;
  countsBefore: Record<string, number>;
  countsAfter: Record<string, number>;
}

/** An attack as the tests and `npm run bench` both run it: the environment it starts the API with, and what it sends. */
export interface AttackScenario {
  name: string;
  /** Settings of the API under attack (limits made small enough to hit quickly). */
  env?: Record<string, string>;
  /** Runs once before the attack, e.g. to store rows the attack then asks for. */
  prepare?: (target: AttackTarget) => Promise<void>;
  send: (target: AttackTarget) => Promise<Tally>;
}

/** Runs a scenario against a target while a probe asks /healthz every 100 ms and the API's memory is sampled. */
export async function runAttack(target: AttackTarget, scenario: AttackScenario, settleMs = 1000, attack = scenario.name): Promise<AttackResult> {
  await scenario.prepare?.(target);
  const countsBefore = await tableCounts(target.t.db);
  const rss = new RssSampler(target.pid);
  const baselineRssBytes = await rss.start();
  const probe = new HealthProbe(target.port);
  probe.start();
  const tally = await scenario.send(target);
  await new Promise((r) => setTimeout(r, settleMs));
  const probed = await probe.stop();
  const peakRssBytes = await rss.stop();
  const left = await filesLeft(target.tmpDir);
  const result: AttackResult = {
    attack,
    tally,
    probeWorstMs: probed.worstMs,
    probeFailures: probed.failures,
    baselineRssBytes,
    peakRssBytes,
    tempFilesLeft: left.files,
    tempBytesLeft: left.bytes,
    countsBefore,
    countsAfter: await tableCounts(target.t.db),
  };
  await recordResult(result);
  return result;
}

/** Starts a fresh API with `env` (of this checkout, or of the one whose CLI is given), hands it to `use`, and stops it however `use` ends. */
export async function withAttackTarget<T>(label: string, env: Record<string, string> | undefined, use: (target: AttackTarget) => Promise<T>, cli?: string): Promise<T> {
  const target = await startAttackTarget(label, env, cli);
  try {
    return await use(target);
  } finally {
    await target.stop();
  }
}

/** Starts a fresh API for the scenario, runs it, stops the API. */
export function attackFresh(label: string, scenario: AttackScenario, settleMs?: number, cli?: string): Promise<AttackResult> {
  return withAttackTarget(label, scenario.env, (target) => runAttack(target, scenario, settleMs), cli);
}

const TABLE = path.join(projectRoot, 'test-artifacts', 'attacks', 'results.jsonl');

async function recordResult(result: AttackResult): Promise<void> {
  await mkdir(path.dirname(TABLE), { recursive: true });
  await appendFile(TABLE, `${JSON.stringify({ ...result, countsBefore: undefined, countsAfter: undefined })}\n`);
  process.stdout.write(`${formatAttackRow(result)}\n`);
}

export const ATTACK_HEADER = '| attack | requests | answers by status | probe worst (ms) | peak RSS of the API (MiB) | temp bytes left |';

export function formatAttackRow(r: AttackResult): string {
  const statuses = Object.entries(r.tally.statuses).sort().map(([s, n]) => `${s}×${n}`).join(', ');
  return `| ${r.attack} | ${r.tally.requests} | ${statuses} | ${r.probeWorstMs} | ${(r.peakRssBytes / 2 ** 20).toFixed(0)} (from ${(r.baselineRssBytes / 2 ** 20).toFixed(0)}) | ${r.tempBytesLeft} |`;
}
