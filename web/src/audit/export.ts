import { query } from '../api';
import { byId, el } from '../dom';
import { fetchFile, saveFile } from './download';

// The audit workbook (GET /audit/export.xlsx) for a window of UTC days, both ends included, as the
// route takes them; by default the route's own: the last 30 days up to today.

const DEFAULT_DAYS = 30;

export interface ExportWindow {
  from: string;
  to: string;
}

export function defaultWindow(now = new Date()): ExportWindow {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return { from: day(now.getTime() - (DEFAULT_DAYS - 1) * 86_400_000), to: day(now.getTime()) };
}

/** Wires the form; `chosen` hears the range each time one is exported, for the URL. */
export function startExportForm(range: ExportWindow, chosen: (range: ExportWindow) => void): void {
  const form = byId<HTMLFormElement>('export-form');
  const from = byId<HTMLInputElement>('export-from');
  const to = byId<HTMLInputElement>('export-to');
  form.hidden = false;
  from.value = range.from;
  to.value = range.to;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const asked = { from: from.value, to: to.value };
    chosen(asked);
    void exportWorkbook(asked);
  });
}

async function exportWorkbook(range: ExportWindow): Promise<void> {
  const status = byId('export-status');
  const button = byId<HTMLButtonElement>('export-submit');
  const link = byId<HTMLAnchorElement>('export-link');
  button.disabled = true;
  status.classList.remove('error');
  status.textContent = `Building the workbook for ${range.from} to ${range.to}…`;
  try {
    const file = await fetchFile(`/audit/export.xlsx${query({ from: range.from, to: range.to })}`, `ecgflow-audit-${range.from}_${range.to}.xlsx`);
    saveFile(file, link);
    link.hidden = false;
    link.replaceChildren(`Save ${file.filename} again`);
    status.replaceChildren(`Downloaded `, el('strong', {}, file.filename), ` (${kilobytes(file.blob.size)}). Its first sheet, Cover, says what it holds and the chain's status.`);
  } catch (error) {
    status.classList.add('error');
    status.textContent = `Could not export: ${(error as Error).message}`;
  } finally {
    button.disabled = false;
  }
}

function kilobytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} bytes` : `${(bytes / 1024).toFixed(1)} KB`;
}
