import type { Command } from 'commander';

/** The runs commands; each command module loads on use, as in main.ts. */
export function registerRunsCommands(program: Command): void {
  void program;
}
