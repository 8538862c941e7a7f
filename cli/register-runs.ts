import { InvalidArgumentError, type Command } from 'commander';
import { parseStartedByFilter, type StartedByFilter } from '../common/started-by';
import { action, integer } from './program';

// Command modules load on use, as in main.ts.
const commands = {
  runs: () => import('./commands/runs'),
  workflowRuns: () => import('./commands/workflow-runs'),
};

/** The runs commands; each command module loads on use, as in main.ts. */
export function registerRunsCommands(program: Command): void {
  const runs = program.command('runs').description('workflow runs from the audit trail, and the candidates a training chose from');
  runs
    .command('list')
    .description('the newest workflow runs in the audit trail, with who started each (API key, CLI user or schedule)')
    .option('--started-by <who>', 'api-key, api-key:<key id>, cli, cli:<user>, schedule or schedule:<schedule id>', startedByOption)
    .option('--type <workflow>', 'runs of this workflow type (trainModel, scoreBatch, …)')
    .option('--model <tag>', 'runs on this model tag')
    .option('--limit <n>', 'at most this many runs (default 50)', integer(1, 1000), 50)
    .option('--json', 'print one JSON value')
    .action(
      action(async (ctx, o: { startedBy?: StartedByFilter; type?: string; model?: string; limit: number; json?: boolean }) =>
        (await commands.workflowRuns()).runList(ctx, o, Boolean(o.json)),
      ),
    );
  runs
    .command('compare')
    .description('compare the candidates trained for a tag: settings, threshold, validation metrics, which was selected')
    .requiredOption('--tag <tag>', 'the model tag')
    .option('--json', 'print one JSON value')
    .action(action(async (ctx, o: { tag: string; json?: boolean }) => (await commands.runs()).runCompare(ctx, o.tag, Boolean(o.json))));
}

function startedByOption(value: string): StartedByFilter {
  try {
    return parseStartedByFilter(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message.replace(/^startedBy: /, ''));
  }
}
