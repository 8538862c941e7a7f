import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriftResult } from '../../contracts/workflows/detect-drift';
import { createApiKey } from '../../db/queries/api-keys';
import { initTensorFlow } from '../../ml/tf/backend';
import { ensureWebBuilt, launchChromium, listenTestApi, NO_PAGE_PROBLEMS, openSignedIn, PAGE_VIEWPORT, pageProblems, type ListeningApi } from '../helpers/browser';
import { DRIFT_DAYS, seedDriftHistory } from '../helpers/drift-seed';
import { useTestServices } from '../helpers/lifecycle';

const ARTIFACTS = 'test-artifacts';
const VIEWPORT = PAGE_VIEWPORT;
/** The untrained autoencoder scores these beats 0.235 to 0.257: about one baseline beat in seven is over this. */
const THRESHOLD = 0.25;

describe('the drift page in a browser, on reports the detectDrift workflow wrote', () => {
  const s = useTestServices('drift_ui', { pipeline: true });
  let api: ListeningApi;
  let browser: Browser;
  let tag: string;
  let results: DriftResult[];
  let keys: Record<'engineer' | 'auditor' | 'reviewer' | 'scheduler', string>;

  beforeAll(async () => {
    ensureWebBuilt();
    mkdirSync(ARTIFACTS, { recursive: true });
    const { tf } = await initTensorFlow('wasm');
    tag = s.p.tag('drift-ui');
    results = await seedDriftHistory(s.db, s.p, tf, tag, THRESHOLD);
    keys = {
      engineer: (await createApiKey(s.db, { role: 'engineer', name: 'Ed Engineer' })).key,
      auditor: (await createApiKey(s.db, { role: 'auditor', name: 'Ada Auditor' })).key,
      reviewer: (await createApiKey(s.db, { role: 'reviewer', name: 'Rita Reviewer' })).key,
      scheduler: (await createApiKey(s.db, { role: 'scheduler', name: 'Sam Scheduler' })).key,
    };
    api = await listenTestApi(s.t, s.p);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  const open = (key: string, search = '') => openSignedIn(browser, api.url, key, `drift.html${search}`);

  // Page-side code as strings: this file is typechecked without the DOM library.
  /** Whether a drawn canvas has any pixel that is not blank. */
  const canvasInked = (page: Page, id: string) =>
    page.evaluate<boolean>(`(() => {
      const canvas = document.getElementById(${JSON.stringify(id)});
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
      return false;
    })()`);
  const focusedId = (page: Page) => page.evaluate<string | undefined>('document.activeElement?.id');

  it('seeded a history of none, drifted and insufficient days', () => {
    expect(results.map((r) => r.status)).toEqual(['none', 'none', expect.stringMatching(/^(moderate|severe)$/), 'severe', 'insufficient']);
    expect(results.map((r) => r.sampleSize)).toEqual(DRIFT_DAYS.map((d) => d.beats));
    expect(results[0]!.baselineAnomalyRate).toBeGreaterThan(0.05);
    expect(results[0]!.baselineAnomalyRate).toBeLessThan(0.3);
  });

  it('draws the history over days, shows a chosen report in full from the keyboard, and keeps it all in the URL', async () => {
    const { page, errors } = await open(keys.engineer, `?model=${tag}&from=2026-04-09&to=2026-04-14`);
    const rows = page.locator('#history-table tbody tr[data-id]');
    await rows.nth(4).waitFor();
    expect(await rows.count()).toBe(5);
    expect(await page.locator('#filter-model').inputValue()).toBe(tag);
    // Newest first: the insufficient day, then the severe one.
    const first = rows.nth(0).locator('th, td');
    expect(await first.allTextContents()).toEqual(['2026-04-14', tag, 'insufficient', '60', '—', '—', '—', '—', expect.stringMatching(/%$/), expect.stringMatching(/%$/)]);
    const severe = results[3]!;
    const severeCells = await rows.nth(1).locator('th, td').allTextContents();
    expect(severeCells.slice(0, 4)).toEqual(['2026-04-13', tag, 'severe', '600']);
    expect(severeCells[4]).toBe(`${(severe.driftedShare! * 100).toFixed(1)}%`);
    expect(severeCells[6]).toBe(severe.psiMax!.toFixed(3));

    for (const id of ['history-shares', 'history-psi', 'history-ks', 'history-anomaly']) {
      await page.locator(`#${id}[data-drawn="true"]`).waitFor();
      expect(await page.getAttribute(`#${id}`, 'data-points'), id).toBe('5');
      expect(await canvasInked(page, id), id).toBe(true);
    }

    // Keyboard: focus the severe day's link, open it, and land on the report, whose first stop is the download.
    await rows.nth(1).locator('a').focus();
    await page.keyboard.press('Enter');
    await page.locator('#report-heading', { hasText: `Report ${severe.reportId}: ${tag}, 2026-04-13` }).waitFor();
    expect(await focusedId(page)).toBe('report');
    await page.keyboard.press('Tab');
    expect(await focusedId(page)).toBe('download-report');
    expect(new URL(page.url()).search).toBe(`?model=${tag}&from=2026-04-09&to=2026-04-14&id=${severe.reportId}`);
    expect(await rows.nth(1).getAttribute('class')).toBe('chosen');

    await page.locator('#report-psi[data-drawn="true"]').waitFor();
    expect(await page.getAttribute('#report-psi', 'data-points')).toBe('140');
    await page.locator('#report-mean-beat[data-drawn="true"]').waitFor();
    expect(await page.getAttribute('#report-mean-beat', 'data-points')).toBe('140');
    await page.locator('#report-scores[data-drawn="true"]').waitFor();
    for (const id of ['report-psi', 'report-mean-beat', 'report-scores']) expect(await canvasInked(page, id), id).toBe(true);
    expect(await page.locator('#positions-table tbody tr').count()).toBe(140);
    const detail = (await (await fetch(`${api.url}/api/v1/drift-reports/${severe.reportId}`, { headers: { authorization: `Bearer ${keys.engineer}` } })).json()) as { positions: { psi: number; windowMean: number }[] };
    expect(await page.locator('#positions-table tr[data-position="70"] td').nth(0).textContent()).toBe(detail.positions[70]!.psi.toFixed(3));
    expect(await page.locator('#positions-table tr[data-position="70"] td').nth(2).textContent()).toBe(detail.positions[70]!.windowMean.toFixed(3));
    await page.locator('#report-body .reasons li.decisive').first().waitFor();

    // It fits the screen's width: nothing scrolls sideways at 1366×768.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(VIEWPORT.width);
    expect(await pageProblems(page)).toEqual(NO_PAGE_PROBLEMS);
    // The picture for the docs: the history and the top of the chosen report.
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: `${ARTIFACTS}/drift-page.png` });
    await page.locator('#report').screenshot({ path: `${ARTIFACTS}/drift-page-report.png` });

    // The filters go into the URL too, and a backwards range is refused before it is asked for.
    await page.locator('#filter-from').fill('2026-04-12');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.locator('#history-status', { hasText: '3 reports.' }).waitFor();
    expect(new URL(page.url()).searchParams.get('from')).toBe('2026-04-12');
    await page.locator('#filter-to').fill('2026-04-11');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.locator('#history-error', { hasText: 'the last day (2026-04-11) is before the first (2026-04-12)' }).waitFor();
    expect(errors).toEqual([]);
  });

  it('downloads the HTML report, which renders its charts with the network cut off', async () => {
    const severe = results[3]!;
    const { page, errors } = await open(keys.auditor, `?id=${severe.reportId}`);
    // A shared link with only the id opens that report straight away, for a read-only role.
    await page.locator('#report-heading', { hasText: `Report ${severe.reportId}` }).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the HTML report' }).click()]);
    expect(download.suggestedFilename()).toBe(`drift-report-${tag}-2026-04-13-${severe.reportId}.html`);
    const saved = path.resolve(ARTIFACTS, 'drift-report.html');
    await download.saveAs(saved);
    await page.locator('#download-status', { hasText: `Downloaded drift-report-${tag}-2026-04-13-${severe.reportId}.html` }).waitFor();
    const html = readFileSync(saved, 'utf8');
    expect(html.match(/https?:\/\/|<script|<link|url\(|<[a-z][^>]*\s(?:src|href)\s*=/gi)).toBeNull();
    expect(errors).toEqual([]);

    // Offline and with every request refused: the file must need none.
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 }, offline: true });
    const requested: string[] = [];
    await context.route('**', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      requested.push(url);
      return route.abort();
    });
    const offline = await context.newPage();
    await offline.goto(`file://${saved}`);
    await offline.locator('h1', { hasText: `Drift report: model ${tag}` }).waitFor();
    expect(await offline.locator('#psi-chart rect.bar').count()).toBe(140);
    for (const id of ['psi-chart', 'mean-beat-chart', 'score-chart']) {
      const box = await offline.locator(`#${id}`).boundingBox();
      expect(box!.width, id).toBeGreaterThan(500);
      expect(box!.height, id).toBeGreaterThan(100);
    }
    const windowLine = await offline.locator('#mean-beat-chart path.line.window').boundingBox();
    expect(windowLine!.width).toBeGreaterThan(500);
    expect(await offline.locator('#score-chart path.line.baseline').getAttribute('d')).toMatch(/^M[\d.]+ [\d.]+(L[\d.]+ [\d.]+){100}$/);
    expect(await offline.locator('.verdict h2').textContent()).toBe('Verdict: severe');
    expect(requested).toEqual([]);
    await offline.screenshot({ path: `${ARTIFACTS}/drift-report-offline.png`, fullPage: true });
    await context.close();
  });

  it('lets every read role view the history, and tells a role without read what it may not do', async () => {
    const reader = await open(keys.reviewer, `?model=${tag}`);
    await reader.page.locator('#history-table tbody tr[data-id]').nth(4).waitFor();
    expect(await pageProblems(reader.page)).toEqual(NO_PAGE_PROBLEMS);
    expect(reader.errors).toEqual([]);

    const scheduler = await open(keys.scheduler);
    await scheduler.page.locator('#history-error', { hasText: 'the scheduler role may not read' }).waitFor();
    expect(await scheduler.page.locator('#history-table tbody tr[data-id]').count()).toBe(0);
  });
});
