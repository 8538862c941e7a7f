import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from './env';

/**
 * The settings file the CLI, the worker and the API read at start-up (see .env.example):
 * `.env` in the working directory, or the file ECGFLOW_ENV_FILE names.
 */
export function envFilePath(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): { file: string; explicit: boolean } {
  const named = env.ECGFLOW_ENV_FILE;
  return named ? { file: path.resolve(cwd, named), explicit: true } : { file: path.join(cwd, '.env'), explicit: false };
}

/**
 * Copies the settings of the .env file into `env` (process.env) where `env` does not set them:
 * the environment wins over the file. A missing `.env` is fine (nothing is read); a missing file
 * that ECGFLOW_ENV_FILE names, or a line that is not NAME=value, stops with a ConfigError naming
 * the file and line (never the line's text, which may hold a password). Called once, by
 * bin/ecgflow.mjs, before any command (migrate, worker, api, ...) reads the configuration.
 */
export function loadEnvFile(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): { file: string; applied: string[] } | undefined {
  const { file, explicit } = envFilePath(env, cwd);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) return undefined;
    throw new ConfigError(`${file}: cannot read the settings file${explicit ? ' that ECGFLOW_ENV_FILE names' : ''} (${code ?? (error as Error).message})`);
  }
  const applied: string[] = [];
  for (const [name, value] of Object.entries(parseEnvFile(text, file))) {
    if (env[name] === undefined) {
      env[name] = value;
      applied.push(name);
    }
  }
  return { file, applied };
}

const assignment = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;

/**
 * Parses the .env format that docker compose also reads from this file: blank lines and `#`
 * comments, `NAME=value` (optionally after `export`), a value bare (then ` #` starts a comment and
 * surrounding spaces go), in single quotes (literal) or in double quotes (with \n, \t, \r, \", \\).
 * A later line setting the same name wins.
 */
export function parseEnvFile(text: string, file = '.env'): Record<string, string> {
  const settings: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${file}:${index + 1}`;
    const match = assignment.exec(line);
    if (!match) throw new ConfigError(`${where}: expected NAME=value (a name of letters, digits and underscores), or a # comment`);
    settings[match[1]!] = parseValue(match[2]!, where, match[1]!);
  });
  return settings;
}

function parseValue(source: string, where: string, name: string): string {
  const quote = source[0];
  if (quote !== '"' && quote !== "'") return source.replace(/(^|\s+)#.*$/, '').trim();
  let value = '';
  let i = 1;
  for (; i < source.length && source[i] !== quote; i++) {
    if (quote === '"' && source[i] === '\\' && i + 1 < source.length) {
      const next = source[++i]!;
      value += ({ n: '\n', r: '\r', t: '\t' } as Record<string, string>)[next] ?? next;
    } else {
      value += source[i];
    }
  }
  if (i >= source.length) throw new ConfigError(`${where}: ${name}: the value's ${quote === '"' ? 'double' : 'single'} quote is not closed on its line`);
  const rest = source.slice(i + 1).trim();
  if (rest !== '' && !rest.startsWith('#')) throw new ConfigError(`${where}: ${name}: only a # comment may follow the closing quote`);
  return value;
}
