import { ApiError } from '../api';
import { goToLogin, storedKey } from '../session';

/**
 * Saves a report's self-contained HTML file. The API wants the session's key in a header, which a
 * plain link cannot send: the file is fetched, then handed to the browser as a download under the
 * name the API gave it. Resolves to that name.
 */
export async function downloadReport(id: number): Promise<string> {
  let response: Response;
  try {
    response = await fetch(`/api/v1/drift-reports/${id}/report.html`, { headers: { authorization: `Bearer ${storedKey() ?? ''}`, accept: 'text/html' } });
  } catch (error) {
    throw new ApiError(0, 'network', `The API could not be reached (${(error as Error).message}).`);
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: string; message?: string; requestId?: string } | null;
    const error = new ApiError(response.status, body?.error ?? 'error', body?.message ?? `The API answered ${response.status}.`, body?.requestId);
    if (response.status === 401) goToLogin(`Signed out: ${error.message}`);
    throw error;
  }
  const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? `drift-report-${id}.html`;
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has taken the file by the next task; the object URL would otherwise live as long as the page.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}
