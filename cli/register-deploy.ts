import type { Command } from 'commander';
import { action } from './program';

// Loaded on use, as in main.ts, so `--help` does not pay for Temporal.
const commands = () => import('./commands/deploy');

/** `ecgflow temporal setup` and `ecgflow health worker|api`: what a deployment's setup job and health checks run. */
export function registerDeployCommands(program: Command): void {
  const temporal = program.command('temporal').description('prepare the Temporal namespace for ecgflow');
  temporal
    .command('setup')
    .description('register the search attributes ModelTag, DataDate and Stage on TEMPORAL_NAMESPACE when missing (safe to run twice)')
    .option('--json', 'print one JSON value')
    .action(action(async (ctx, o: { json?: boolean }) => (await commands()).runTemporalSetup(ctx, Boolean(o.json))));

  const health = program.command('health').description('health checks for containers: exit 0 when healthy, else 1 with the reason');
  health
    .command('worker')
    .description('a live worker process on this host polls ECGFLOW_TASK_QUEUE (Temporal lists it among the pollers)')
    .option('--json', 'print one JSON value')
    .action(action(async (ctx, o: { json?: boolean }) => (await commands()).runWorkerHealth(ctx, Boolean(o.json))));
  health
    .command('api')
    .description('the API on API_HOST:API_PORT answers GET /healthz with 200')
    .option('--json', 'print one JSON value')
    .action(action(async (ctx, o: { json?: boolean }) => (await commands()).runApiHealth(ctx, Boolean(o.json))));
}
