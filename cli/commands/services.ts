import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../config/env';
import { CliError } from '../output';

/** The services script does the work; this only forwards, so the shell and the CLI behave alike. */
export function runServices(action: string, json: boolean): void {
  if (!['up', 'down', 'status'].includes(action)) throw new CliError(`services: unknown action "${action}" (expected up, down or status)`);
  const script = path.join(projectRoot, 'scripts', 'services.sh');
  const result = spawnSync('bash', [script, action, ...(json ? ['--json'] : [])], { stdio: 'inherit' });
  if (result.status !== 0) throw new CliError(`services ${action} failed`, result.status ?? 1);
}
