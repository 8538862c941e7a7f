import { SAMPLES_PER_BEAT, encodeBeat } from '../ml/beat';
import { IngestError } from './errors';
import { MAX_CELL_CHARS, cellNumber, isEmptyCell, isOverlongCell, showCell } from './numbers';
import type { Cell, RawRow } from './rows';

export const INGEST_FORMATS = ['tutorial', 'ucr', 'unlabelled'] as const;
export type IngestFormat = (typeof INGEST_FORMATS)[number];

export interface BeatLabels {
  isAnomalous: 0 | 1 | null;
  ucrClass: number | null;
}

export interface ParsedBeat extends BeatLabels {
  /** Already in the storage encoding of `ecg.samples`. */
  samples: Buffer;
}

interface Layout {
  width: number;
  firstSample: number;
  labelIndex: number | undefined;
  widthMessage: string;
  readLabel(cell: Cell): BeatLabels | string;
}

const UNLABELLED: BeatLabels = { isAnomalous: null, ucrClass: null };

const LAYOUTS: Record<IngestFormat, Layout> = {
  tutorial: {
    width: SAMPLES_PER_BEAT + 1,
    firstSample: 0,
    labelIndex: SAMPLES_PER_BEAT,
    widthMessage: `expected ${SAMPLES_PER_BEAT + 1} values (${SAMPLES_PER_BEAT} samples + label)`,
    readLabel: readTutorialLabel,
  },
  ucr: {
    width: SAMPLES_PER_BEAT + 1,
    firstSample: 1,
    labelIndex: 0,
    widthMessage: `expected ${SAMPLES_PER_BEAT + 1} values (class + ${SAMPLES_PER_BEAT} samples)`,
    readLabel: readUcrClass,
  },
  unlabelled: {
    width: SAMPLES_PER_BEAT,
    firstSample: 0,
    labelIndex: undefined,
    widthMessage: `expected ${SAMPLES_PER_BEAT} values (samples only)`,
    readLabel: () => UNLABELLED,
  },
};

const NORMAL: BeatLabels = { isAnomalous: 0, ucrClass: null };
const ABNORMAL: BeatLabels = { isAnomalous: 1, ucrClass: null };

/** The TensorFlow tutorial marks normal beats 1 and abnormal ones 0, the opposite of `is_anomalous`. */
function readTutorialLabel(cell: Cell): BeatLabels | string {
  const value = cellNumber(cell);
  if (value === 1) return NORMAL;
  if (value === 0) return ABNORMAL;
  return `label ${showCell(cell)} is not 1.0 (normal) or 0.0 (abnormal)`;
}

/** UCR class 1 is the normal rhythm; 2..5 are kinds of abnormal beat. */
function readUcrClass(cell: Cell): BeatLabels | string {
  const value = cellNumber(cell);
  if (value !== undefined && isUcrClass(value)) return { isAnomalous: value === 1 ? 0 : 1, ucrClass: value };
  return `class ${showCell(cell)} is not an integer 1..5`;
}

function isUcrClass(value: number | undefined): boolean {
  return value !== undefined && Number.isInteger(value) && value >= 1 && value <= 5;
}

function isTutorialLabel(value: number | undefined): boolean {
  return value === 0 || value === 1;
}

/**
 * Guesses the layout from the first data row. Only a row that fits exactly one layout decides;
 * anything else asks the user, because a wrong guess would silently mislabel every beat.
 */
export function detectFormat(first: RawRow, fileName: string): IngestFormat {
  const width = first.cells.length;
  if (width === SAMPLES_PER_BEAT) return 'unlabelled';
  if (width !== SAMPLES_PER_BEAT + 1) {
    throw new IngestError(
      `cannot detect the layout of ${fileName}: row ${first.row} has ${width} values, expected ${SAMPLES_PER_BEAT} (unlabelled) or ${SAMPLES_PER_BEAT + 1} (tutorial or ucr); fix the row or give the format (--format tutorial|ucr|unlabelled)`,
    );
  }
  if (first.whitespaceSeparated) return 'ucr';
  const startsWithClass = isUcrClass(cellNumber(first.cells[0]));
  const endsWithLabel = isTutorialLabel(cellNumber(first.cells[SAMPLES_PER_BEAT]));
  if (endsWithLabel && !startsWithClass) return 'tutorial';
  if (startsWithClass && !endsWithLabel) return 'ucr';
  const why = startsWithClass
    ? 'it starts like a UCR class (1..5) and ends like a tutorial label (0/1)'
    : 'it neither starts with a UCR class (1..5) nor ends with a tutorial label (0/1)';
  throw new IngestError(`cannot tell the layout of ${fileName} from row ${first.row}: ${why}; give the format (--format tutorial or ucr)`);
}

/**
 * Turns one row into a beat, or into the reason it is not one. `scratch` is reused across rows
 * so a large file does not allocate a sample array per row.
 */
export function interpretRow(
  row: RawRow,
  format: IngestFormat,
  ignoreLabels: boolean,
  scratch: Float64Array,
): ParsedBeat | string {
  const layout = LAYOUTS[format];
  const { cells } = row;
  if (row.problem !== undefined) return row.problem;
  if (cells.length === 0) return 'empty line';
  if (cells.length !== layout.width) return `${layout.widthMessage}, got ${cells.length}`;
  const overlong = cells.findIndex(isOverlongCell);
  if (overlong >= 0) return `column ${overlong + 1} is longer than ${MAX_CELL_CHARS} characters, too long for a number: ${showCell(cells[overlong])}`;

  let labels = UNLABELLED;
  if (!ignoreLabels && layout.labelIndex !== undefined) {
    const label = layout.readLabel(cells[layout.labelIndex]);
    if (typeof label === 'string') return label;
    labels = label;
  }

  for (let i = 0; i < SAMPLES_PER_BEAT; i++) {
    const index = layout.firstSample + i;
    const cell = cells[index];
    const value = cellNumber(cell);
    if (value === undefined) return sampleProblem(cell, index + 1);
    // Stored as float32: a value that only fits a double would be stored as Infinity.
    if (!Number.isFinite(Math.fround(value))) return `column ${index + 1} is outside the float32 range: ${showCell(cell)}`;
    scratch[i] = value;
  }
  return { samples: encodeBeat(scratch), ...labels };
}

function sampleProblem(cell: Cell, column: number): string {
  return isEmptyCell(cell) ? `column ${column} is empty` : `column ${column} is not a finite number: ${showCell(cell)}`;
}
