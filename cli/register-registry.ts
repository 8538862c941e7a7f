import type { Command } from 'commander';

/** The registry commands; each command module loads on use, as in main.ts. */
export function registerRegistryCommands(program: Command): void {
  void program;
}
