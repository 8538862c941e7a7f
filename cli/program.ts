import { InvalidArgumentError } from 'commander';
import type { CliContext } from './context';
import { CliError } from './output';

// Shared by every command module: argument parsers and the wrapper that owns a command's resources.

export function failureText(error: unknown): Promise<string> {
  return import('./wait').then((m) => m.failureMessage(error), () => String(error));
}

export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

export function decimal(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`expected a number from ${min} to ${max}`);
    return n;
  };
}

export function unitList(value: string): number[] {
  const units = value.split(',').map((v) => Number(v.trim()));
  if (units.length === 0 || units.some((u) => !Number.isInteger(u) || u < 1 || u > 4096)) {
    throw new InvalidArgumentError('expected comma-separated layer widths, e.g. 32,16,8');
  }
  return units;
}

/** Runs a command with its own resources and turns any error into one line and a non-zero exit. */
export function action<A extends unknown[]>(fn: (ctx: CliContext, ...args: A) => Promise<void>) {
  return async (...args: A): Promise<void> => {
    let ctx: CliContext | undefined;
    try {
      const { CliContext } = await import('./context');
      ctx = new CliContext();
      await fn(ctx, ...args);
    } catch (error) {
      process.stderr.write(`ecgflow: ${await failureText(error)}\n`);
      process.exitCode = error instanceof CliError ? error.exitCode : 1;
    } finally {
      await ctx?.close().catch(() => undefined);
    }
  };
}

/** An instant in ISO 8601 (a time without a zone is local time, as JavaScript reads it). */
export function isoTime(value: string): Date {
  const at = /^\d{4}-\d{2}-\d{2}/.test(value) ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime())) throw new InvalidArgumentError(`expected an ISO time such as 2026-11-23T14:00:00Z, got "${value}"`);
  return at;
}
