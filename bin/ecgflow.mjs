#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so a fresh clone needs no build step.
import { register } from 'tsx/esm/api';

register();
// .env (or the file ECGFLOW_ENV_FILE names) first, under the environment, so that every command,
// the worker and the API included, reads the same settings.
const { loadEnvFile } = await import('../config/env-file.ts');
try {
  loadEnvFile();
} catch (error) {
  process.stderr.write(`ecgflow: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
await import('../cli/main.ts');
