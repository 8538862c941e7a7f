import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { stream, Worksheet } from 'exceljs';
import { projectRoot } from '../../../../config/env';
import { formatCount, neutraliseFormula, WARNING_FONT, type SheetOutcome } from './sheet';

type WorkbookWriter = stream.xlsx.WorkbookWriter;

/** The cover: the first tab of the workbook, for an auditor who opens the file cold. */
export const COVER_SHEET = 'Cover';

/**
 * What the audit chain's verifier says about the chain (its head and whether it is intact). The
 * hash-chain work provides it as `ApiDeps.auditChain`; until then the cover says "not yet verified".
 */
export interface AuditChainStatus {
  ok: boolean;
  headSeq: number | null;
  headHash: string | null;
  /** What is wrong when `ok` is false, in words an auditor can act on. */
  problem?: string;
}

export interface AuditChainSource {
  status(): Promise<AuditChainStatus>;
}

export type CoverValue = string | number | boolean | Date | null;
/** One line of the cover: a label and its value. */
export type CoverLine = { label: string; value: CoverValue; warning?: boolean };

/**
 * The cover's lines about the audit chain: the one hook through which the chain's head and status
 * reach the workbook. Never throws: a failed check is a line that says so (the export goes on).
 */
export async function chainStatusLines(deps: { auditChain?: AuditChainSource }, onError?: (error: unknown) => void): Promise<CoverLine[]> {
  if (!deps.auditChain) {
    return [
      { label: 'Audit chain', value: 'not yet verified' },
      { label: 'Audit chain head', value: 'not available' },
    ];
  }
  let status: AuditChainStatus;
  try {
    status = await deps.auditChain.status();
  } catch (error) {
    onError?.(error);
    return [{ label: 'Audit chain', value: 'not verified: the check failed (see the server log)', warning: true }];
  }
  return [
    status.ok
      ? { label: 'Audit chain', value: 'verified: intact' }
      : { label: 'Audit chain', value: `BROKEN: ${status.problem ?? 'the chain does not verify'}`, warning: true },
    { label: 'Audit chain head (sequence)', value: status.headSeq ?? 'not available' },
    { label: 'Audit chain head (hash)', value: status.headHash ?? 'not available' },
  ];
}

let version: string | undefined;

/** ecgflow's version, from package.json (read once). */
export function ecgflowVersion(): string {
  if (version === undefined) {
    try {
      version = String((JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version?: unknown }).version ?? 'unknown');
    } catch {
      version = 'unknown';
    }
  }
  return version;
}

export interface CoverSheetRow extends SheetOutcome {
  /** What the sheet holds, in a line. */
  about: string;
}

export interface CoverFacts {
  /** The UTC days exported, both included. */
  range: { from: string; to: string };
  /** 'default': no from/to was given, so the last DEFAULT_EXPORT_DAYS days up to today. */
  rangeChosen: { kind: 'asked' } | { kind: 'default'; days: number };
  /** The instants the days cover: [from, to). */
  window: { from: Date; to: Date };
  exportedAt: Date;
  exportedBy: { id: number; name: string; role: string } | null;
  version: string;
  maxRowsPerSheet: number;
  sheets: CoverSheetRow[];
  chain: CoverLine[];
}

const DATETIME = 'yyyy-mm-dd hh:mm:ss';
const BOLD = { bold: true };

/**
 * Writes the cover. It is written after the data sheets (only then are their row counts known)
 * and must be added to the workbook only then: exceljs opens a sheet's zip entry as soon as it is
 * added, and the zip takes its entries one after the other, so a cover added first and filled last
 * would hold every other sheet in memory. `listFirst` then moves it to the first tab.
 */
export function writeCoverSheet(workbook: WorkbookWriter, facts: CoverFacts): Worksheet {
  const cover = workbook.addWorksheet(COVER_SHEET);
  cover.columns = [{ width: 34 }, { width: 48 }, { width: 18 }, { width: 12 }, { width: 80 }];
  const line = (cells: CoverValue[], style: { bold?: boolean; warning?: boolean } = {}) => {
    const row = cover.addRow(cells.map(coverCell));
    row.eachCell((cell) => {
      if (cell.value instanceof Date) cell.numFmt = DATETIME;
    });
    if (style.warning) row.font = WARNING_FONT;
    else if (style.bold) row.font = BOLD;
    else row.getCell(1).font = BOLD;
    row.commit();
  };
  const blank = () => cover.addRow([]).commit();

  const title = cover.addRow(['ecgflow audit export']);
  title.font = { bold: true, size: 14 };
  title.commit();
  const cut = facts.sheets.filter((s) => s.truncated);
  if (cut.length > 0) {
    line(
      [
        `INCOMPLETE EXPORT: ${cut.map((s) => `"${s.name}"`).join(', ')} stopped at the limit of ${formatCount(facts.maxRowsPerSheet)} rows per sheet. ` +
          'Narrow the date range and export again to get every row.',
      ],
      { warning: true },
    );
  } else {
    line([`Complete: every sheet holds every row of the range (at most ${formatCount(facts.maxRowsPerSheet)} rows per sheet).`], { bold: true });
  }
  blank();

  line(['What was exported'], { bold: true });
  line(['Range', `${facts.range.from} to ${facts.range.to}`]);
  line([
    'How the range was chosen',
    facts.rangeChosen.kind === 'default'
      ? `default: no from/to given, so the last ${facts.rangeChosen.days} UTC days up to today, today included (up to the time of the export)`
      : 'as asked (from and to, both days included)',
  ]);
  line(['From (UTC, included)', facts.window.from]);
  line(['Until (UTC, not included)', facts.window.to]);
  line(['Time zone', 'UTC: every date and time in this workbook is in UTC']);
  line(['Rows per sheet at most', facts.maxRowsPerSheet]);
  line(['Any sheet cut at the limit?', cut.length > 0 ? `yes: ${cut.map((s) => s.name).join(', ')}` : 'no']);
  blank();

  line(['When and by whom'], { bold: true });
  line(['Exported at (server time, UTC)', facts.exportedAt]);
  line(['Exported by (API key name)', facts.exportedBy?.name ?? 'unknown']);
  line(['API key id', facts.exportedBy?.id ?? 'unknown']);
  line(['API key role', facts.exportedBy?.role ?? 'unknown']);
  line(['ecgflow version', facts.version]);
  blank();

  line(['Integrity'], { bold: true });
  for (const c of facts.chain) line([c.label, c.value], { warning: c.warning });
  blank();

  line(['Sheet', 'Rows in this file', 'Rows in the range', 'Complete?', 'What it holds'], { bold: true });
  for (const s of facts.sheets) line([s.name, s.rows, s.matching, s.truncated ? 'truncated' : 'complete', s.about], { warning: s.truncated });
  blank();

  line(['How to read it'], { bold: true });
  for (const note of [
    'Each sheet has a frozen, filterable header row; numbers are numbers, dates and times are Excel dates (UTC), yes/no fields are TRUE/FALSE.',
    'Columns named "… (JSON)" hold the part of a record whose structure is open-ended, as JSON text.',
    'A sheet cut at the limit ends with a red line saying how many rows the range really has.',
    'Text starting with =, +, -, @, a tab or a carriage return is prefixed with an apostrophe, so no spreadsheet runs it as a formula.',
  ]) {
    const row = cover.addRow([neutraliseFormula(note)]);
    row.commit();
  }
  cover.commit();
  return cover;
}

function coverCell(value: CoverValue): string | number | boolean | Date | undefined {
  if (value === null) return undefined;
  return typeof value === 'string' ? neutraliseFormula(value) : value;
}

/**
 * Moves a sheet to the first tab. exceljs's streaming writer lists sheets (in workbook.xml, which
 * sets the tab order) in the order of its `_worksheets` array, while each sheet's file keeps its
 * own id, so reordering the array before `commit()` reorders the tabs and nothing else. exceljs
 * offers no public way; should a later version hide the array, the sheet stays where it is and
 * false says so (tests/api/audit/export.test.ts checks that the cover comes first).
 */
export function listFirst(workbook: WorkbookWriter, sheet: Worksheet): boolean {
  const sheets = (workbook as unknown as { _worksheets?: unknown })._worksheets;
  if (!Array.isArray(sheets)) return false;
  const at = sheets.indexOf(sheet);
  // exceljs numbers sheets from 1 and leaves index 0 empty: the first sheet is the first filled slot.
  const firstAt = sheets.findIndex((s, i) => i in sheets && Boolean(s));
  if (at < 0 || firstAt < 0) return false;
  if (at > firstAt) {
    sheets.splice(at, 1);
    sheets.splice(firstAt, 0, sheet);
  }
  return true;
}
