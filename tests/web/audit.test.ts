import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_SHEETS } from '../../api/routes/audit/workbook/audit-workbook';
import { encodeHistory } from '../../common/history-codec';
import type { StartedBy } from '../../common/started-by';
import { createApiKey } from '../../db/queries/api-keys';
import { storeArchivedHistory } from '../../db/queries/workflow-histories';
import { recordRunEnd } from '../../db/queries/workflow-runs';
import { insertBareModel } from '../helpers/api-read-data';
import { ensureWebBuilt, launchChromium, listenTestApi, NO_PAGE_PROBLEMS, openSignedIn, PAGE_VIEWPORT, pageProblems, type ListeningApi } from '../helpers/browser';
import { useTestServices } from '../helpers/lifecycle';

// The audit page in a real browser against the real API, database and Temporal: runs in the audit
// trail (one of them only in the MySQL history archive, one real run through the pipeline),
// filtered and restored from the URL, followed to their timelines; the chain verified, then
// tampered with; the workbook downloaded; and a reviewer, who may not export, told so.

const ARTIFACTS = 'test-artifacts';
const VIEWPORT = PAGE_VIEWPORT;

type Seeded = { id: string; runId: string };

describe('the audit page in a browser', () => {
  const s = useTestServices('audit_ui', { pipeline: true });
  let api: ListeningApi;
  let browser: Browser;
  let keys: Record<'auditor' | 'reviewer' | 'engineer', { id: number; key: string }>;
  let tag: string;
  /** Audit-trail-only runs: a training by cli alice, two scorings by the daily schedule (one failed), and a promotion whose history only the archive has. */
  let runs: Record<'trained' | 'scored10' | 'scored11' | 'archived' | 'promoted', Seeded>;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    ensureWebBuilt();
    mkdirSync(ARTIFACTS, { recursive: true });
    keys = {
      auditor: await createApiKey(s.db, { role: 'auditor', name: 'Audrey Auditor' }),
      reviewer: await createApiKey(s.db, { role: 'reviewer', name: 'Rita Reviewer' }),
      engineer: await createApiKey(s.db, { role: 'engineer', name: 'Ed Engineer' }),
    };
    tag = s.p.tag('aud');
    await insertBareModel(s, tag, 'candidate');
    api = await listenTestApi(s.t, s.p);

    // A real run through the pipeline, started by the engineer's key: a promotion to staging.
    const started = await api.app.inject({ method: 'POST', url: `/api/v1/models/${tag}/promote`, headers: { authorization: `Bearer ${keys.engineer.key}` }, payload: { reason: 'shadow it', to: 'staging' } });
    expect(started.statusCode, started.body).toBe(202);
    const promoted: Seeded = { id: started.json().workflowId, runId: started.json().runId };
    // Resolves when it completes (and throws if it failed); the hook's timeout is the deadline.
    await s.p.client.workflow.getHandle(promoted.id, promoted.runId).result();

    // Audited writes (as the workflows make them), so the chain stays whole until the test breaks it.
    const seed = async (id: string, row: { type: string; status: 'completed' | 'failed'; startedAt: string; dataDate?: string; error?: string; startedBy: StartedBy }): Promise<Seeded> => {
      const runId = randomUUID();
      const startedAt = new Date(row.startedAt);
      await recordRunEnd(s.db, {
        workflowId: id, runId, workflowType: row.type, modelTag: tag, dataDate: row.dataDate ?? null, inputs: '{}', status: row.status,
        outcome: row.status === 'completed' ? '{}' : null, error: row.error ?? null, startedAt, endedAt: new Date(startedAt.getTime() + 90_000), startedBy: row.startedBy,
      });
      return { id, runId };
    };
    const daily: StartedBy = { kind: 'schedule', name: 'ecgflow-daily' };
    runs = {
      promoted,
      trained: await seed(`train-${tag}`, { type: 'trainModel', status: 'completed', startedAt: '2025-01-09T10:00:00Z', startedBy: { kind: 'cli', name: 'alice' } }),
      scored10: await seed(`score-2025-01-10-${tag}`, { type: 'scoreBatch', status: 'completed', startedAt: '2025-01-11T02:00:00Z', dataDate: '2025-01-10', startedBy: daily }),
      scored11: await seed(`score-2025-01-11-${tag}`, { type: 'scoreBatch', status: 'failed', startedAt: '2025-01-12T02:00:00Z', dataDate: '2025-01-11', error: 'no beats were recorded on 2025-01-11', startedBy: daily }),
      archived: await seed(`promote-archived-${tag}`, { type: 'promoteModel', status: 'completed', startedAt: '2025-01-13T09:00:00Z', startedBy: { kind: 'cli', name: 'bob' } }),
    };
    // The archived run's history: a real promotion's events, kept under a workflow id Temporal never had.
    const history = await s.p.client.workflow.getHandle(promoted.id, promoted.runId).fetchHistory();
    const encoded = encodeHistory(history);
    await storeArchivedHistory(s.db, {
      workflowId: runs.archived.id, runId: runs.archived.runId, workflowType: 'promoteModel', closeStatus: 'completed', startedAt: new Date('2025-01-13T09:00:00Z'),
      closedAt: new Date('2025-01-13T09:01:30Z'), eventCount: encoded.eventCount, jsonBytes: encoded.jsonBytes, history: encoded.bytes, sha256: encoded.sha256,
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await api?.close();
  });

  async function open(key: string, search: string): Promise<{ page: Page; errors: string[] }> {
    const opened = await openSignedIn(browser, api.url, key, `audit.html${search}`);
    contexts.push(opened.page.context());
    return opened;
  }

  /** The workflow ids the table draws, once they are the expected ones (the list loads after each filter). */
  async function expectRows(page: Page, expected: Seeded[]): Promise<void> {
    await expect
      .poll(() => page.locator('#runs-table:not([aria-busy]) tbody tr[data-workflow-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-workflow-id'))), { timeout: 15_000 })
      .toEqual(expected.map((r) => r.id));
  }

  /** Everything within the laptop screen: no page scroll; the table and the side column scroll on their own. */
  async function expectFitsScreen(page: Page): Promise<void> {
    const [width, height] = (await page.evaluate('[document.documentElement.scrollWidth, document.documentElement.scrollHeight]')) as [number, number];
    expect(width).toBeLessThanOrEqual(VIEWPORT.width);
    expect(height).toBeLessThanOrEqual(VIEWPORT.height);
  }

  const row = (page: Page, run: Seeded) => page.locator(`#runs-table tr[data-workflow-id="${run.id}"]`);
  const filtersOn = (page: Page) => page.locator('#run-filters');

  it('filters the runs by type and by who started them, narrows from a row, and a fresh open of the URL restores the form and the rows', async () => {
    const { page, errors } = await open(keys.auditor.key, `?modelTag=${tag}`);
    // Newest first; every run of the model, the real one included.
    await expectRows(page, [runs.promoted, runs.archived, runs.scored11, runs.scored10, runs.trained]);
    await expect(row(page, runs.promoted).locator('[data-column="started-by"]').textContent()).resolves.toBe(`api-key "Ed Engineer" (key ${keys.engineer.id}) (show only these runs)`);
    await expect(row(page, runs.scored11).locator('.badge').textContent()).resolves.toBe('failed');
    await expect(row(page, runs.scored11).locator('[data-column="day"] a').textContent()).resolves.toBe('2025-01-11 (show only these runs)');
    await expect(row(page, runs.archived).locator('[data-column="record"]').textContent()).resolves.toBe('audit trail');

    await filtersOn(page).getByLabel('Type').selectOption('scoreBatch');
    await filtersOn(page).getByRole('button', { name: 'Show runs' }).click();
    await expectRows(page, [runs.scored11, runs.scored10]);
    expect(new URL(page.url()).search).toBe(`?type=scoreBatch&modelTag=${tag}`);
    expect(await row(page, runs.scored10).locator('[data-column="started-by"] a').textContent()).toBe('schedule ecgflow-daily (show only these runs)');

    // Who started them: one API key, by its id; then every run from the CLI.
    await filtersOn(page).getByLabel('Type').selectOption('');
    await filtersOn(page).getByLabel('Started by').selectOption('api-key');
    await filtersOn(page).getByLabel('Which one').fill(String(keys.engineer.id));
    await filtersOn(page).getByLabel('Which one').press('Enter');
    await expectRows(page, [runs.promoted]);
    await filtersOn(page).getByLabel('Started by').selectOption('cli');
    // A key id means nothing as an OS user: the new kind starts with "which one" empty.
    expect(await filtersOn(page).getByLabel('Which one').inputValue()).toBe('');
    await filtersOn(page).getByRole('button', { name: 'Show runs' }).click();
    await expectRows(page, [runs.archived, runs.trained]);
    await page.locator('#runs-summary', { hasText: '2 runs, newest first' }).waitFor();

    // A row's initiator narrows the list to it.
    await row(page, runs.trained).locator('[data-column="started-by"] a').click();
    await expectRows(page, [runs.trained]);
    const shared = page.url();
    expect(new URL(shared).searchParams.get('startedBy')).toBe('cli:alice');
    expect(await filtersOn(page).getByLabel('Which one').inputValue()).toBe('alice');

    // Back returns to the filters before.
    await page.goBack();
    await expectRows(page, [runs.archived, runs.trained]);

    const fresh = await open(keys.auditor.key, new URL(shared).search);
    await expectRows(fresh.page, [runs.trained]);
    expect(await filtersOn(fresh.page).getByLabel('Model tag').inputValue()).toBe(tag);
    expect(await filtersOn(fresh.page).getByLabel('Started by').inputValue()).toBe('cli');
    expect(await filtersOn(fresh.page).getByLabel('Which one').inputValue()).toBe('alice');
    expect([...errors, ...fresh.errors]).toEqual([]);
  });

  it("follows a run's link to its timeline: from the MySQL archive when Temporal never had it, from Temporal for the live run", async () => {
    const { page, errors } = await open(keys.auditor.key, `?modelTag=${tag}&type=promoteModel`);
    await expectRows(page, [runs.promoted, runs.archived]);
    // By keyboard: the link takes focus and Enter follows it.
    await row(page, runs.archived).getByRole('link', { name: runs.archived.id }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/app\/run\.html\?/);
    expect(new URL(page.url()).searchParams.get('runId')).toBe(runs.archived.runId);
    await page.locator('#run-facts [data-fact="source"]', { hasText: 'MySQL archive' }).waitFor();
    await expect(page.locator('#run-facts [data-fact="type"]').textContent()).resolves.toBe('promoteModel');
    await expect(page.locator('#run-facts [data-fact="status"]').textContent()).resolves.toBe('completed');
    await page.locator('#timeline tbody tr', { hasText: 'promoteModelStage' }).waitFor();
    expect(await page.locator('#timeline tbody tr').count()).toBeGreaterThanOrEqual(2);

    await page.goBack();
    await row(page, runs.promoted).getByRole('link', { name: runs.promoted.id }).click();
    await page.locator('#run-facts [data-fact="source"]', { hasText: 'Temporal' }).waitFor();
    await page.locator('#timeline tbody tr', { hasText: 'promoteModelStage' }).waitFor();
    expect(errors).toEqual([]);
  });

  it('says the chain is intact up to its last entry, and downloads the workbook for a chosen window', async () => {
    const { page, errors } = await open(keys.auditor.key, `?modelTag=${tag}`);
    await expectRows(page, [runs.promoted, runs.archived, runs.scored11, runs.scored10, runs.trained]);
    const last = Number((await s.db.selectFrom('audit_chain').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirstOrThrow()).seq);
    await page.locator('#chain-status[data-state="ok"]').waitFor();
    await expect(page.locator('#chain-verdict').textContent()).resolves.toBe(`✓ Intact: verified up to entry ${last}`);
    const head = await s.db.selectFrom('audit_chain_head').select('chain_hash').executeTakeFirstOrThrow();
    await expect(page.locator('#chain-head-hash').textContent()).resolves.toBe(head.chain_hash);

    await page.getByLabel('From', { exact: true }).fill('2025-01-01');
    await page.getByLabel('To (included)', { exact: true }).fill('2025-01-31');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download .xlsx' }).click()]);
    expect(download.suggestedFilename()).toBe('ecgflow-audit-2025-01-01_2025-01-31.xlsx');
    const bytes = readFileSync(await download.path());
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(bytes as unknown as ArrayBuffer);
    expect(book.worksheets.map((sheet) => sheet.name)).toEqual(['Cover', ...AUDIT_SHEETS]);
    const sheet = book.getWorksheet('Workflow runs')!;
    const ids: string[] = [];
    sheet.eachRow((r, n) => n > 1 && ids.push(String(r.getCell(1).value)));
    // The runs that started in January 2025; the real promotion started today, outside the window.
    expect(ids.filter((id) => id.includes(tag)).sort()).toEqual([runs.archived.id, runs.scored10.id, runs.scored11.id, runs.trained.id].sort());
    await page.locator('#export-status', { hasText: 'Downloaded ecgflow-audit-2025-01-01_2025-01-31.xlsx' }).waitFor();
    expect(new URL(page.url()).searchParams.get('exportFrom')).toBe('2025-01-01');
    expect(new URL(page.url()).searchParams.get('exportTo')).toBe('2025-01-31');

    expect(await pageProblems(page)).toEqual(NO_PAGE_PROBLEMS);
    await page.screenshot({ path: `${ARTIFACTS}/audit-page.png` });
    await expectFitsScreen(page);
    expect(errors).toEqual([]);
  });

  it('shows a reviewer the runs, and in place of the chain and the export, that they need the export permission', async () => {
    const { page, errors } = await open(keys.reviewer.key, `?modelTag=${tag}&type=scoreBatch`);
    await expectRows(page, [runs.scored11, runs.scored10]);
    await page.locator('#chain-status[data-state="forbidden"]', { hasText: 'Verifying the audit chain needs the export permission, which the reviewer role does not have' }).waitFor();
    await page.locator('#export-status[data-state="forbidden"]', { hasText: 'Exporting the audit workbook needs the export permission' }).waitFor();
    expect(await page.locator('#export-form').isHidden()).toBe(true);
    expect(await page.locator('#verify').isHidden()).toBe(true);
    expect(await page.getByRole('button', { name: 'Download .xlsx' }).count()).toBe(0);
    expect(await pageProblems(page)).toEqual(NO_PAGE_PROBLEMS);
    expect(errors).toEqual([]);
  });

  it('says the chain is broken after one audit row is changed behind its back, naming the entry and the row', async () => {
    const { page, errors } = await open(keys.auditor.key, `?modelTag=${tag}`);
    await page.locator('#chain-status[data-state="ok"]').waitFor();
    await sql`update workflow_runs set error = ${'it never failed'} where workflow_id = ${runs.scored11.id}`.execute(s.db);
    const rowId = JSON.stringify([runs.scored11.id, runs.scored11.runId]);
    const entry = Number((await s.db.selectFrom('audit_chain').select((eb) => eb.fn.max('seq').as('seq')).where('table_name', '=', 'workflow_runs').where('row_id', '=', rowId).executeTakeFirstOrThrow()).seq);

    await page.getByRole('button', { name: 'Verify again' }).click();
    await page.locator('#chain-status[data-state="broken"]').waitFor();
    await expect(page.locator('#chain-verdict').textContent()).resolves.toBe(`✗ Broken at entry ${entry}: row altered`);
    await expect(page.locator('#chain-why').textContent()).resolves.toBe(`Why: workflow_runs row ${rowId} was altered (it no longer matches ledger entry ${entry})`);
    const problem = page.locator('#chain-problems tbody tr[data-kind="altered"]');
    await expect(problem.locator('td').first().textContent()).resolves.toBe(String(entry));
    await expect(problem.getByRole('link').getAttribute('href')).resolves.toBe(`run.html?id=${encodeURIComponent(runs.scored11.id)}&runId=${runs.scored11.runId}`);
    expect(await pageProblems(page)).toEqual(NO_PAGE_PROBLEMS);
    await expectFitsScreen(page);
    await page.screenshot({ path: `${ARTIFACTS}/audit-chain-broken.png` });
    expect(errors).toEqual([]);
  });
});
