import type { Command } from 'commander';
import { action, failureText, integer } from './program';

/** `ecgflow api` and API key management; keys are stored hashed and shown once. */
export function registerApiCommands(program: Command): void {
  program
    .command('api')
    .description('serve the HTTP API (/api/v1, OpenAPI at /api/openapi.json, docs at /api/docs) until Ctrl-C')
    .option('--json', 'accepted for symmetry: the API always logs JSON')
    .action(async () => {
      try {
        await (await import('../api/server')).runApi();
      } catch (error) {
        process.stderr.write(`ecgflow: ${await failureText(error)}\n`);
        process.exitCode = 1;
      }
    });

  const apikey = program.command('apikey').description('create, list or revoke API keys (roles: engineer, scheduler, auditor, reviewer)');
  apikey
    .command('create')
    .description('create a key with a role; the key is printed once')
    .requiredOption('--role <role>', 'engineer, scheduler, auditor or reviewer')
    .option('--name <name>', 'who or what uses it')
    .option('--by <name>', 'who creates it, for the audit trail (default: the OS user)')
    .option('--json', 'print one JSON value')
    .action(action(async (ctx, o: { role: string; name?: string; by?: string; json?: boolean }) => (await import('./commands/api')).runApiKeyCreate(ctx, o, Boolean(o.json))));
  apikey
    .command('revoke')
    .description('revoke a key by id')
    .argument('<id>', 'the key id', integer(1))
    .option('--by <name>', 'who revokes it, for the audit trail (default: the OS user)')
    .option('--json', 'print one JSON value')
    .action(action(async (ctx, id: number, o: { by?: string; json?: boolean }) => (await import('./commands/api')).runApiKeyRevoke(ctx, id, Boolean(o.json), o.by)));
  apikey
    .command('list')
    .description('list keys (never the keys themselves)')
    .option('--json', 'print one JSON value')
    .action(action(async (ctx, o: { json?: boolean }) => (await import('./commands/api')).runApiKeyList(ctx, Boolean(o.json))));
}
