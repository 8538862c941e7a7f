import type { Command } from 'commander';

/** The schedule commands; each command module loads on use, as in main.ts. */
export function registerScheduleCommands(program: Command): void {
  void program;
}
