import { constants, crc32, deflateRawSync } from 'node:zlib';
import { tutorialCells } from './fixtures';

/**
 * One entry of a hand-made zip: its bytes, or (for an entry too big to hold) its deflated bytes
 * with their CRC and size. `declaredSize` makes the directory lie about how far it inflates.
 */
export type ZipEntryBody = { declaredSize?: number } & ({ data: Buffer; store?: boolean } | { deflated: Buffer; crc: number; size: number });
export type ZipEntry = { name: string } & ZipEntryBody;

/**
 * A zip written by hand, entries in the order given, so a test controls what exceljs would
 * have met first (a worksheet before the shared strings is what made it copy the sheet to a
 * temp file) and what the central directory declares.
 */
export function buildZip(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const directory: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const stored = 'data' in entry && entry.store === true;
    const body = 'data' in entry ? (stored ? entry.data : deflateRawSync(entry.data, { level: 9 })) : entry.deflated;
    const fields = {
      method: stored ? 0 : 8,
      crc: 'data' in entry ? crc32(entry.data) : entry.crc,
      compressed: body.length,
      uncompressed: entry.declaredSize ?? ('data' in entry ? entry.data.length : entry.size),
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(fields.method, 8);
    local.writeUInt32LE(fields.crc, 14);
    local.writeUInt32LE(fields.compressed, 18);
    local.writeUInt32LE(fields.uncompressed, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(fields.method, 10);
    central.writeUInt32LE(fields.crc, 16);
    central.writeUInt32LE(fields.compressed, 20);
    central.writeUInt32LE(fields.uncompressed, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    directory.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directoryBytes = Buffer.concat(directory);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directoryBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directoryBytes, end]);
}

const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

/** The smallest set of parts a spreadsheet program (and exceljs) reads as a workbook of one sheet. */
export function workbookEntries(sheet: Buffer | ZipEntryBody, sharedStrings: string[] = []): ZipEntry[] {
  const sheetEntry: ZipEntry = Buffer.isBuffer(sheet) ? { name: 'xl/worksheets/sheet1.xml', data: sheet } : { ...sheet, name: 'xl/worksheets/sheet1.xml' };
  const text = (name: string, xml: string): ZipEntry => ({ name, data: Buffer.from(xml) });
  return [
    text(
      '[Content_Types].xml',
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    ),
    text('_rels/.rels', `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>`),
    text(
      'xl/_rels/workbook.xml.rels',
      `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL_NS}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${REL_NS}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
    ),
    // The worksheet before the shared strings and the workbook, as exceljs itself writes them.
    sheetEntry,
    text('xl/sharedStrings.xml', `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="${MAIN_NS}">${sharedStrings.map((s) => `<si><t>${s}</t></si>`).join('')}</sst>`),
    text('xl/workbook.xml', `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheets><sheet name="beats" sheetId="1" r:id="rId1"/></sheets></workbook>`),
  ];
}

const SHEET_HEAD = `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="${MAIN_NS}"><sheetData>`;
const SHEET_TAIL = '</sheetData></worksheet>';

/** A worksheet of the given rows, each cell a number or an inline string. */
export function sheetXml(rows: readonly (readonly (number | string)[])[]): Buffer {
  const body = rows
    .map((cells, r) => `<row r="${r + 1}">${cells.map((cell, c) => cellXml(cell, `${columnName(c + 1)}${r + 1}`)).join('')}</row>`)
    .join('');
  return Buffer.from(SHEET_HEAD + body + SHEET_TAIL);
}

function cellXml(cell: number | string, ref: string): string {
  return typeof cell === 'number' ? `<c r="${ref}"><v>${cell}</v></c>` : `<c r="${ref}" t="inlineStr"><is><t>${cell}</t></is></c>`;
}

function columnName(column: number): string {
  let name = '';
  for (let n = column; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

/**
 * A worksheet of about `bytes` of one row repeated, deflated at about 340:1. Deflating hundreds
 * of MiB would take seconds, so one MiB of rows is deflated once, ending in a full flush (the
 * blocks after it refer to nothing before), and that piece is repeated.
 */
export function bombSheetEntry(bytes: number): ZipEntryBody {
  const row = '<row r="1"><c r="A1"><v>0</v></c></row>';
  const piece = Buffer.from(row.repeat(Math.floor(2 ** 20 / row.length)));
  const head = Buffer.from(SHEET_HEAD);
  const tail = Buffer.from(SHEET_TAIL);
  const copies = Math.max(1, Math.round((bytes - head.length - tail.length) / piece.length));
  const flushed = { level: 9, finishFlush: constants.Z_FULL_FLUSH };
  const packedPiece = deflateRawSync(piece, flushed);
  let crc = crc32(head);
  for (let i = 0; i < copies; i++) crc = crc32(piece, crc);
  crc = crc32(tail, crc);
  return {
    deflated: Buffer.concat([deflateRawSync(head, flushed), ...Array<Buffer>(copies).fill(packedPiece), deflateRawSync(tail)]),
    crc,
    size: head.length + copies * piece.length + tail.length,
  };
}

/** A zip bomb in the shape of a workbook: its worksheet inflates to about `bytes`. */
export function zipBombWorkbook(bytes: number): Buffer {
  return buildZip(workbookEntries(bombSheetEntry(bytes)));
}

/** A worksheet whose directory entry says it inflates to `declared` bytes while it inflates to about `actual`. */
export function lyingZipBombWorkbook(actual: number, declared: number): Buffer {
  return buildZip(workbookEntries({ ...bombSheetEntry(actual), declaredSize: declared }));
}

/** A bomb whose deflated bytes are garbage: reading it would fail at once, so a refusal naming a limit shows nothing was inflated. */
export function uninflatableBombWorkbook(declared: number): Buffer {
  return buildZip(workbookEntries({ deflated: Buffer.alloc(64 * 1024, 0xff), crc: 0, size: declared }));
}

/** A tutorial row whose `column` (1-based) holds `digits` digits followed by a letter: the input that made the old regex backtrack. */
export function rowWithDigitRun(digits: number, column = 5, first = 1): (number | string)[] {
  const row = tutorialCells(1, first)[0]!;
  row[column - 1] = `${'1'.repeat(digits)}x`;
  return row;
}

/** A multipart/form-data body with text fields and one file, as a browser or curl -F sends it. */
export function multipartBody(fields: Record<string, string>, file: { name: string; content: Buffer | string; type?: string }): { body: Buffer; contentType: string } {
  const { head, tail, contentType } = multipartFrame(fields, file);
  return { body: Buffer.concat([head, Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content), tail]), contentType };
}

/** What comes before and after the file's bytes in a multipart body, for uploads sent (or cut off) piece by piece. */
export function multipartFrame(fields: Record<string, string>, file: { name: string; type?: string }): { head: Buffer; tail: Buffer; contentType: string } {
  const boundary = '----ecgflow-hostile-boundary';
  const parts = Object.entries(fields).map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type ?? 'text/csv'}\r\n\r\n`);
  return { head: Buffer.from(parts.join('')), tail: Buffer.from(`\r\n--${boundary}--\r\n`), contentType: `multipart/form-data; boundary=${boundary}` };
}
