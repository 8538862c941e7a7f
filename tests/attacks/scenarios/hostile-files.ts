import { Agent } from 'node:http';
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { AttackScenario } from '../harness/run';
import { addToTally, emptyTally, sendOne, type AttackRequest, type Tally } from '../harness/send';
import type { AttackTarget } from '../harness/target';
import { tutorialCells } from '../../helpers/fixtures';
import { buildZip, lyingZipBombWorkbook, multipartBody, multipartFrame, rowWithDigitRun, sheetXml, workbookEntries, zipBombWorkbook } from '../../helpers/hostile-files';

// Hostile files sent to POST /api/v1/ecgs: cells and lines made to stall the parser, zip bombs,
// and uploads the client cuts off. Each scenario builds its files itself and sends a few of them.

const MiB = 1024 * 1024;
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** What one upload got back, so a test can check the message as well as the status. */
export interface Answer {
  upload: string;
  status: string;
  body: string;
}

/** A scenario that keeps its answers: the bench prints the tally, the tests read the messages. */
export interface HostileFileScenario extends AttackScenario {
  answers: Answer[];
}

/** Uploads go in over a large body limit (either name of it), and no rate limit gets in the way. */
const UPLOAD_ENV = { API_RATE_LIMIT_MAX_PER_IP: '100000', API_RATE_LIMIT_MAX_PER_KEY: '100000', API_UPLOAD_LIMIT_BYTES: String(64 * MiB), API_BODY_LIMIT_BYTES: String(64 * MiB) };

interface Upload {
  label: string;
  /** Form fields besides the source. */
  fields?: Record<string, string>;
  name: string;
  content: Buffer | string;
  type?: string;
}

function uploadRequest(target: AttackTarget, upload: Upload): AttackRequest {
  const { body, contentType } = multipartBody({ source: `attack ${upload.label}`, ...upload.fields }, upload);
  return { method: 'POST', path: '/api/v1/ecgs', headers: { authorization: `Bearer ${target.keys.engineer}`, 'content-type': contentType }, body };
}

/** Sends each upload `times` times, `concurrency` at a time, keeping every answer. */
async function sendUploads(target: AttackTarget, answers: Answer[], uploads: Upload[], options: { times?: number; concurrency?: number; timeoutMs?: number } = {}): Promise<Tally> {
  answers.length = 0;
  const tally = emptyTally();
  const queue = Array.from({ length: options.times ?? 1 }, () => uploads).flat();
  const agent = new Agent({ keepAlive: false, maxSockets: options.concurrency ?? 4 });
  const lane = async () => {
    for (let upload = queue.shift(); upload !== undefined; upload = queue.shift()) {
      const answer = await sendOne(target.port, agent, uploadRequest(target, upload), options.timeoutMs ?? 30_000);
      addToTally(tally, answer.outcome);
      answers.push({ upload: upload.label, status: answer.outcome, body: answer.body });
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, lane));
  agent.destroy();
  return tally;
}

function csvOf(rows: readonly (readonly (number | string)[])[]): string {
  return `${rows.map((row) => row.join(',')).join('\n')}\n`;
}

/**
 * A beat row with one cell of digits followed by a letter, which the old decimal regex took
 * quadratic time to refuse (a million digits: minutes, with /healthz stuck behind it): as a
 * CSV cell that fits a line, as a CSV line of a million digits, and as a workbook cell.
 */
export const backtrackingCell: HostileFileScenario = {
  name: 'cells of 60k and 1M digits + a letter (CSV and xlsx)',
  env: UPLOAD_ENV,
  answers: [],
  async send(target) {
    const uploads: Upload[] = [
      { label: 'csv-60k-digit-cell', name: 'cell.csv', content: csvOf([...tutorialCells(1, 1), rowWithDigitRun(60_000, 5, 2)]) },
      { label: 'csv-1M-digit-line', name: 'line.csv', content: csvOf([...tutorialCells(1, 1), rowWithDigitRun(1_000_000, 5, 2)]) },
      { label: 'xlsx-1M-digit-cell', name: 'cell.xlsx', type: XLSX_TYPE, content: buildZip(workbookEntries(sheetXml([...tutorialCells(1, 1), rowWithDigitRun(1_000_000, 5, 2)]))) },
    ];
    return sendUploads(target, backtrackingCell.answers, uploads, { times: 3, concurrency: 3 });
  },
};

/** One 40 MB line: read through without being held, and refused by its row number. */
export const overlongLine: HostileFileScenario = {
  name: 'a CSV of one 40 MB line',
  env: UPLOAD_ENV,
  answers: [],
  async send(target) {
    const line = Buffer.alloc(40 * MiB, '0.123456,');
    line[line.length - 1] = 0x0a;
    return sendUploads(target, overlongLine.answers, [{ label: 'csv-40MB-line', name: 'line.csv', content: line }], { times: 2, concurrency: 2 });
  },
};

/** The total over which the zipBomb scenario's API refuses a workbook. */
export const BOMB_MAX_UNCOMPRESSED_BYTES = 64 * MiB;

/**
 * Workbooks of well under 1 MiB whose worksheet inflates to hundreds of MiB: one over the total
 * limit, one under it but compressed too well to be beats, and one whose zip directory lies
 * about the worksheet's size. Before, exceljs would have inflated each to a temp file.
 */
export const zipBomb: HostileFileScenario = {
  name: 'xlsx zip bombs (256 MiB sheet, 48 MiB at ~340:1, a lying directory)',
  env: { ...UPLOAD_ENV, INGEST_XLSX_MAX_UNCOMPRESSED_BYTES: String(BOMB_MAX_UNCOMPRESSED_BYTES) },
  answers: [],
  async send(target) {
    const uploads: Upload[] = [
      { label: 'over-total', name: 'bomb.xlsx', type: XLSX_TYPE, content: zipBombWorkbook(256 * MiB) },
      { label: 'over-ratio', name: 'bomb.xlsx', type: XLSX_TYPE, content: zipBombWorkbook(48 * MiB) },
      // With the layout given its one-cell rows are bad rows, read on until the lie shows.
      { label: 'lying-directory', fields: { format: 'tutorial' }, name: 'bomb.xlsx', type: XLSX_TYPE, content: lyingZipBombWorkbook(48 * MiB, 100_000) },
    ];
    return sendUploads(target, zipBomb.answers, uploads, { times: 3, concurrency: 3 });
  },
};

/** An exceljs workbook of real beats: exceljs writes the worksheet before the shared strings. */
async function exceljsWorkbook(rows: number, first: number): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('beats');
  for (const row of tutorialCells(rows, first)) sheet.addRow(row);
  workbook.addWorksheet('notes').addRow(['not a beat']);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/**
 * Ordinary workbooks as exceljs writes them: the old reader copied each worksheet that came
 * before the shared strings to a temp file, and never removed the copy of a sheet it did not read.
 */
export const workbookUploads: HostileFileScenario = {
  name: 'ordinary two-sheet workbooks (the old reader left temp files)',
  env: UPLOAD_ENV,
  answers: [],
  async send(target) {
    const uploads: Upload[] = [];
    for (let i = 0; i < 6; i++) uploads.push({ label: `workbook-${i}`, name: `beats-${i}.xlsx`, type: XLSX_TYPE, content: await exceljsWorkbook(50, 1000 + i * 50) });
    return sendUploads(target, workbookUploads.answers, uploads, { concurrency: 3 });
  },
};

/** How far into the upload each cut-off client gets before it hangs up. */
export const CUTS = ['after the headers', 'inside the form fields', 'halfway through a CSV', 'halfway through a workbook'] as const;

/**
 * A multipart upload the client stops sending and then abandons: the stream errors after the
 * bytes it got to, and the harness destroys the request, as a browser tab closed mid-upload does.
 */
function cutOffUpload(target: AttackTarget, cut: (typeof CUTS)[number], file: { csv: Buffer; xlsx: Buffer }): AttackRequest {
  const xlsx = cut === 'halfway through a workbook';
  const { head, contentType } = multipartFrame({ source: 'cut off' }, { name: xlsx ? 'cut.xlsx' : 'cut.csv', type: xlsx ? XLSX_TYPE : 'text/csv' });
  const content = xlsx ? file.xlsx : file.csv;
  const sent: Record<(typeof CUTS)[number], Buffer> = {
    'after the headers': Buffer.alloc(0),
    'inside the form fields': head.subarray(0, 60),
    'halfway through a CSV': Buffer.concat([head, content.subarray(0, content.length / 2)]),
    'halfway through a workbook': Buffer.concat([head, content.subarray(0, content.length / 2)]),
  };
  const body = (): Readable => {
    let started = false;
    return new Readable({
      read() {
        if (started) return;
        started = true;
        if (sent[cut].length > 0) this.push(sent[cut]);
        // Long enough for the server to have started on the upload; then the client is gone.
        setTimeout(() => this.destroy(new Error('client gone')), 300);
      },
    });
  };
  return { method: 'POST', path: '/api/v1/ecgs', headers: { authorization: `Bearer ${target.keys.engineer}`, 'content-type': contentType }, body };
}

/** Uploads cut off at every stage, three of each at once: the API's per-request directory must go with each. */
export const abortedUpload: HostileFileScenario = {
  name: 'multipart uploads cut off by the client (headers, fields, CSV, xlsx)',
  env: UPLOAD_ENV,
  answers: [],
  async send(target) {
    abortedUpload.answers.length = 0;
    const file = { csv: Buffer.from(csvOf(tutorialCells(2000, 5000))), xlsx: await exceljsWorkbook(2000, 5000) };
    const tally = emptyTally();
    await Promise.all(
      CUTS.flatMap((cut) =>
        [1, 2, 3].map(async () => {
          const answer = await sendOne(target.port, false, cutOffUpload(target, cut, file), 10_000);
          addToTally(tally, answer.outcome);
          abortedUpload.answers.push({ upload: cut, status: answer.outcome, body: answer.body });
        }),
      ),
    );
    return tally;
  },
};

export const hostileFileScenarios: HostileFileScenario[] = [backtrackingCell, overlongLine, zipBomb, workbookUploads, abortedUpload];
