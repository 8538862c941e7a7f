// The attack table: every scenario of tests/attacks/ run against a fresh `ecgflow api` process on
// the real services, with a /healthz probe every 100 ms. Prints, per attack: requests sent, answers
// by status, the probe's worst wait, the API's peak RSS and the temp bytes it left behind.
import { attackFresh, ATTACK_HEADER, formatAttackRow, type AttackScenario } from '../tests/attacks/harness/run';
import { API_LIMIT_SCENARIOS } from '../tests/attacks/scenarios/api-limits';
import { metricsScenarios } from '../tests/attacks/scenarios/metrics';

const SCENARIOS: AttackScenario[] = [...API_LIMIT_SCENARIOS, ...metricsScenarios];

const rows: string[] = [];
for (const [i, scenario] of SCENARIOS.entries()) {
  const result = await attackFresh(`bench${i}`, scenario);
  rows.push(formatAttackRow(result));
}
process.stdout.write(`\nAttack table (one fresh API process per attack; probe: GET /healthz every 100 ms)\n${ATTACK_HEADER}\n|---|---|---|---|---|---|\n${rows.join('\n')}\n`);
