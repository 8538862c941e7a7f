import type { Workbook, Worksheet } from 'exceljs';

/** How a column's cells are typed in Excel, so auditors can sort and filter them natively. */
export type CellKind = 'text' | 'integer' | 'number' | 'percent' | 'date' | 'datetime';

export interface ColumnSpec<Row> {
  header: string;
  kind: CellKind;
  width?: number;
  value: (row: Row) => string | number | Date | null;
}

const FORMATS: Record<CellKind, string | undefined> = {
  text: undefined,
  integer: '0',
  number: '0.0000',
  percent: '0.00%',
  date: 'yyyy-mm-dd',
  datetime: 'yyyy-mm-dd hh:mm:ss',
};

const WIDTHS: Record<CellKind, number> = { text: 24, integer: 12, number: 14, percent: 12, date: 12, datetime: 20 };

/**
 * A sheet with one typed column per spec: dates stay Date cells, numbers stay numbers, and the
 * header row is frozen and carries auto-filters (also on an empty sheet, so every sheet looks alike).
 */
export function addTableSheet<Row>(workbook: Workbook, name: string, columns: readonly ColumnSpec<Row>[], rows: readonly Row[]): Worksheet {
  const sheet = workbook.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1, xSplit: 0 }] });
  sheet.columns = columns.map((c) => ({ header: c.header, width: c.width ?? WIDTHS[c.kind], style: FORMATS[c.kind] ? { numFmt: FORMATS[c.kind] } : {} }));
  sheet.getRow(1).font = { bold: true };
  for (const row of rows) sheet.addRow(columns.map((c) => cellValue(c.kind, c.value(row))));
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1 + rows.length, column: columns.length } };
  return sheet;
}

function cellValue(kind: CellKind, value: string | number | Date | null): string | number | Date | null {
  if (value === null) return null;
  if (kind === 'text') return String(value);
  if (kind === 'date' || kind === 'datetime') return value instanceof Date ? value : new Date(value);
  return typeof value === 'number' ? value : Number(value);
}
