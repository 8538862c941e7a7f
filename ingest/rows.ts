/** One value of a row: text from a delimited file, or what a spreadsheet cell holds; undefined is an empty cell. */
export type Cell = string | number | undefined;

export interface RawRow {
  /** 1-based line (or worksheet row) number, counting every line, so users can find it in the file. */
  row: number;
  /** Empty for a blank line. */
  cells: Cell[];
  /** Tab- or space-separated text, which only the UCR archive uses. */
  whitespaceSeparated: boolean;
  /**
   * The cells as written, when `cells` holds numbers already parsed from text: a message about
   * a bad row should quote the file ("2.0"), not the number it became (2).
   */
  cellsAsWritten?: () => string[];
  /** Why the reader could not even split the row into cells (a line too long to hold); the row is rejected with it. */
  problem?: string;
}

/**
 * Holds blank rows back until a non-blank row follows, so a file that merely ends in empty
 * lines is fine while a gap in the middle is still reported under its own row number. Blank
 * rows are held as runs of row numbers: ten million empty lines cost one run, not ten million rows.
 */
export async function* withoutTrailingBlankRows(rows: AsyncIterable<RawRow>): AsyncGenerator<RawRow> {
  const blanks: { first: number; last: number }[] = [];
  for await (const row of rows) {
    if (row.cells.length === 0 && row.problem === undefined) {
      const run = blanks.at(-1);
      if (run !== undefined && run.last + 1 === row.row) run.last = row.row;
      else blanks.push({ first: row.row, last: row.row });
      continue;
    }
    for (const { first, last } of blanks.splice(0)) {
      for (let blank = first; blank <= last; blank++) yield { row: blank, cells: [], whitespaceSeparated: false };
    }
    yield row;
  }
}
