import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { IngestError } from './errors';
import { withoutTrailingBlankRows, type RawRow } from './rows';
import { readTextRows } from './text-rows';
import { readWorkbookRows } from './xlsx-rows';

export function isWorkbook(filePath: string): boolean {
  return path.extname(filePath).toLowerCase() === '.xlsx';
}

/** Fails before any transaction starts when the file cannot be ingested at all. */
export async function assertReadableFile(filePath: string): Promise<void> {
  const stats = await stat(filePath).catch((error: unknown) => {
    throw new IngestError(describeAccessError(filePath, error));
  });
  if (!stats.isFile()) throw new IngestError(`cannot read ${filePath}: not a regular file`);
  if (stats.size === 0) throw new IngestError(`${filePath} is empty: no beats to ingest`);
  await access(filePath, constants.R_OK).catch((error: unknown) => {
    throw new IngestError(describeAccessError(filePath, error));
  });
}

/** Rows of a text file or workbook, with read failures turned into one-line IngestErrors. */
export async function* readRows(filePath: string): AsyncGenerator<RawRow> {
  const rows = isWorkbook(filePath) ? readWorkbookRows(filePath) : readTextRows(filePath);
  try {
    yield* withoutTrailingBlankRows(rows);
  } catch (error) {
    if (error instanceof IngestError) throw error;
    const what = isWorkbook(filePath) ? 'workbook' : 'file';
    throw new IngestError(`cannot read ${what} ${path.basename(filePath)}: ${oneLine(error)}`);
  }
}

function describeAccessError(filePath: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `file not found: ${filePath}`;
  if (code === 'EACCES' || code === 'EPERM') return `cannot read ${filePath}: permission denied`;
  return `cannot read ${filePath}: ${oneLine(error)}`;
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.trim();
}
