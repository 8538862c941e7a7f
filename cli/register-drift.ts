import type { Command } from 'commander';

/** The drift commands; each command module loads on use, as in main.ts. */
export function registerDriftCommands(program: Command): void {
  void program;
}
