import type { Command } from 'commander';
import { action } from './program';

// Command modules load on use, as in main.ts.
const commands = {
  runs: () => import('./commands/runs'),
};

/** The runs commands; each command module loads on use, as in main.ts. */
export function registerRunsCommands(program: Command): void {
  const runs = program.command('runs').description('training runs: the candidates a model was chosen from');
  runs
    .command('compare')
    .description('compare the candidates trained for a tag: settings, threshold, validation metrics, which was selected')
    .requiredOption('--tag <tag>', 'the model tag')
    .option('--json', 'print one JSON value')
    .action(action(async (ctx, o: { tag: string; json?: boolean }) => (await commands.runs()).runCompare(ctx, o.tag, Boolean(o.json))));
}
