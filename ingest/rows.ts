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
}

/**
 * Holds blank rows back until a non-blank row follows, so a file that merely ends in empty
 * lines is fine while a gap in the middle is still reported under its own row number.
 */
export async function* withoutTrailingBlankRows(rows: AsyncIterable<RawRow>): AsyncGenerator<RawRow> {
  const blanks: RawRow[] = [];
  for await (const row of rows) {
    if (row.cells.length === 0) {
      blanks.push(row);
      continue;
    }
    yield* blanks.splice(0);
    yield row;
  }
}
