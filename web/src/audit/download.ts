import { ApiError } from '../api';
import { goToLogin, storedKey } from '../session';

// A file from the API. A plain <a href> cannot send the Authorization header, so the file is
// fetched with the session's key (as api() does for JSON) and handed to the browser as a blob link.

export interface Downloaded {
  blob: Blob;
  filename: string;
}

export async function fetchFile(path: string, fallbackName: string): Promise<Downloaded> {
  const key = storedKey();
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  } catch (error) {
    throw new ApiError(0, 'network', `The API could not be reached (${(error as Error).message}).`);
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401) goToLogin(`Signed out: ${error.message}`);
    throw error;
  }
  let blob: Blob;
  try {
    blob = await response.blob();
  } catch (error) {
    // The API sends the 200 before the workbook is complete and cuts the body short if a later page fails.
    throw new ApiError(0, 'download_cut', `The download was cut short, so the file would be incomplete (${(error as Error).message}); try again.`);
  }
  return { blob, filename: filenameOf(response) ?? fallbackName };
}

/** Points the link at the file and follows it, so the browser saves it under its name; the link stays for saving again. */
export function saveFile(file: Downloaded, link: HTMLAnchorElement): void {
  if (link.href.startsWith('blob:')) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(file.blob);
  link.download = file.filename;
  link.click();
}

function filenameOf(response: Response): string | null {
  const disposition = response.headers.get('content-disposition') ?? '';
  return /filename="([^"]+)"/.exec(disposition)?.[1] ?? null;
}

async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: string; message?: string; requestId?: string };
    if (typeof body.message === 'string') return new ApiError(response.status, body.error ?? 'error', body.message, body.requestId);
  } catch {
    // not JSON: say what the status was
  }
  return new ApiError(response.status, 'error', `The API answered ${response.status} ${response.statusText}.`);
}
