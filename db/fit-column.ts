/**
 * Cuts text to at most `maxBytes` of UTF-8 without splitting a character, and marks the cut with
 * "…". The actor columns (`changed_by`, `reviewer`, `decided_by`, `undone_by`) are varchar(255)
 * and the names written there come from outside (key names, OS users): one too long would turn
 * every write of that actor into an error that retries never fix. Bytes, not characters, so the
 * value fits whatever character set a deployment gave the column.
 */
export function fitVarchar(text: string, maxBytes = 255): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const ellipsis = '…';
  let budget = maxBytes - Buffer.byteLength(ellipsis, 'utf8');
  let cut = '';
  for (const character of text) {
    budget -= Buffer.byteLength(character, 'utf8');
    if (budget < 0) break;
    cut += character;
  }
  return cut + ellipsis;
}
