import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attackFresh, runAttack } from './harness/run';
import { expectHeldUp } from './harness/expect';
import { startAttackTarget, type AttackTarget } from './harness/target';
import { BOMB_MAX_UNCOMPRESSED_BYTES, abortedUpload, backtrackingCell, overlongLine, workbookUploads, zipBomb, type Answer } from './scenarios/hostile-files';

const MiB = 1024 * 1024;

/** The answers to one kind of upload: all of the expected status, with the message of each. */
function messagesOf(answers: Answer[], upload: string, status: string): string[] {
  const mine = answers.filter((a) => a.upload === upload);
  expect(mine.length, `answers to ${upload}`).toBeGreaterThan(0);
  expect(
    mine.map((a) => a.status),
    `statuses of ${upload}: ${mine[0]!.body.slice(0, 300)}`,
  ).toEqual(mine.map(() => status));
  return mine.map((a) => (JSON.parse(a.body) as { message: string }).message);
}

describe('hostile files sent to the real `ecgflow api` process', () => {
  // The scenarios but the zip bombs (which need a limit of their own) share one API: they all run with the same settings.
  let target: AttackTarget;
  beforeAll(async () => {
    target = await startAttackTarget('files', backtrackingCell.env);
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('refuses cells of a million digits and a letter by row and column in milliseconds, while /healthz keeps answering', async () => {
    const result = await runAttack(target, backtrackingCell);
    expectHeldUp(result);
    expect(result.tally.statuses).toEqual({ '422': 9 });
    for (const message of messagesOf(backtrackingCell.answers, 'csv-60k-digit-cell', '422')) {
      expect(message).toBe('1 bad row in the upload, nothing written: row 2: column 5 is longer than 64 characters, too long for a number: "111111111111111111111111..."');
    }
    for (const message of messagesOf(backtrackingCell.answers, 'xlsx-1M-digit-cell', '422')) {
      expect(message).toBe('1 bad row in the upload, nothing written: row 2: column 5 is longer than 64 characters, too long for a number: "111111111111111111111111..."');
    }
    for (const message of messagesOf(backtrackingCell.answers, 'csv-1M-digit-line', '422')) {
      expect(message).toMatch(/^1 bad row in the upload, nothing written: row 2: line is longer than 65536 characters/);
    }
  });

  it('refuses a 40 MB line by its row without holding it', async () => {
    const result = await runAttack(target, overlongLine);
    expectHeldUp(result, { maxGrowthBytes: 128 * MiB });
    for (const message of messagesOf(overlongLine.answers, 'csv-40MB-line', '422')) {
      expect(message).toMatch(/^1 bad row in the upload, nothing written: row 1: line is longer than 65536 characters/);
    }
  });

  it('refuses zip bombs from the central directory with a 422 naming the limit and the value, writing nothing to disk', async () => {
    const result = await attackFresh('zipbomb', zipBomb);
    expectHeldUp(result, { maxGrowthBytes: 128 * MiB });
    expect(result.tally.statuses).toEqual({ '422': 9 });
    for (const message of messagesOf(zipBomb.answers, 'over-total', '422')) {
      expect(message).toMatch(new RegExp(`^the upload is refused: it would unpack to 268\\d{6} bytes, over INGEST_XLSX_MAX_UNCOMPRESSED_BYTES=${BOMB_MAX_UNCOMPRESSED_BYTES}; nothing was unpacked$`));
    }
    for (const message of messagesOf(zipBomb.answers, 'over-ratio', '422')) {
      expect(message).toMatch(/^the upload is refused: its entry xl\/worksheets\/sheet1\.xml would inflate \d{3}-fold \(\d+ to 503\d{5} bytes\), over INGEST_XLSX_MAX_COMPRESSION_RATIO=100; nothing was unpacked$/);
    }
    for (const message of messagesOf(zipBomb.answers, 'lying-directory', '422')) {
      expect(message).toBe('the upload is refused: its entry xl/worksheets/sheet1.xml inflates to more than the 100000 bytes its zip directory declares');
    }
  });

  it('stores ordinary two-sheet workbooks and leaves no temp file behind', async () => {
    const result = await runAttack(target, workbookUploads);
    expectHeldUp(result, { tablesMayChange: true });
    expect(result.tally.statuses).toEqual({ '200': 6 });
    expect(workbookUploads.answers.map((a) => (JSON.parse(a.body) as { inserted: number }).inserted)).toEqual([50, 50, 50, 50, 50, 50]);
  });

  it('removes the upload directory of every upload the client cut off, at any stage', async () => {
    const result = await runAttack(target, abortedUpload);
    expectHeldUp(result);
    // The client hung up, so it never reads an answer: what it sees is its own connection error.
    expect(Object.keys(result.tally.statuses).every((s) => !/^\d/.test(s)), JSON.stringify(result.tally.statuses)).toBe(true);
    expect(result.tally.requests).toBe(12);
  });
});
