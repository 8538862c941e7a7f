import { mkdirSync } from 'node:fs';
import type { WorkflowHandle } from '@temporalio/client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../db/queries/api-keys';
import { upsertDriftReport } from '../../db/queries/drift';
import { promoteModel } from '../../db/queries/registry';
import { initTensorFlow } from '../../ml/tf/backend';
import { insertBeats, insertPredictions, storeUntrainedModel } from '../helpers/api-read-data';
import { collectPageErrors, ensureWebBuilt, launchChromium, listenTestApi, PAGE_VIEWPORT, NO_PAGE_PROBLEMS, pageProblems, signIn, type ListeningApi } from '../helpers/browser';
import { useTestServices } from '../helpers/lifecycle';
import { syntheticBeat } from '../helpers/fixtures';
import { normalTemplateOf } from '../../ml/template';
import { REVIEW_ORDERS } from '../../contracts/api/review-queue';

// The web pages in a real browser (Debian's chromium) against the real API on a real port and a
// real test database: what a reviewer does on the page must change the rows, and undo restore them.

const ARTIFACTS = 'test-artifacts';
const VIEWPORT = PAGE_VIEWPORT;

function dayBefore(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}

describe('the web pages in a browser', () => {
  const s = useTestServices('browser-ui', { pipeline: { worker: false } });
  let api: ListeningApi;
  let browser: Browser;
  let keys: Record<'reviewer' | 'auditor' | 'engineer' | 'scheduler', { id: number; key: string; name: string }>;
  let beats: number[];
  let run: WorkflowHandle;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    ensureWebBuilt();
    mkdirSync(ARTIFACTS, { recursive: true });
    const { tf } = await initTensorFlow('wasm');
    const model = await storeUntrainedModel(s.db, tf, 'dense-autoencoder', 'ae-ui');
    await promoteModel(s.db, { tag: 'ae-ui', to: 'production', by: 'browser test', reason: 'the model under review', workflowId: 'wf-ui-promote' });
    // Two recent days (the dashboard shows the last 30): scores (id % 10) / 10, anomalous from 0.5.
    beats = [
      ...(await insertBeats(s.db, { first: 101, count: 4, day: dayBefore(3), source: 'ui-a.csv', anomalousEvery: 2 })),
      ...(await insertBeats(s.db, { first: 201, count: 4, day: dayBefore(1), source: 'ui-b.csv', anomalousEvery: 2 })),
    ];
    await insertPredictions(s.db, beats, model);
    // A staging classifier that kept the typical normal beat of its training rows: its beats are explained by attribution.
    const normalTemplate = normalTemplateOf({ samples: Float32Array.from(Array.from({ length: 20 }, (_, i) => syntheticBeat(300 + i)).flat()), count: 20, isAnomalous: new Uint8Array(20) })!;
    const classifier = await storeUntrainedModel(s.db, tf, 'dense-classifier', 'clf-ui', { normalTemplate });
    await s.db.updateTable('models').set({ stage: 'staging' }).where('id', '=', classifier).execute();
    await insertPredictions(s.db, beats.slice(0, 2), classifier);
    // The earlier day has a completed scoring run in the audit trail, the later one none: only it is listed as not scored.
    await s.db.insertInto('workflow_runs').values({
      workflow_id: `score-${dayBefore(3)}-ae-ui`, run_id: 'run-ui-score', workflow_type: 'scoreBatch', model_tag: 'ae-ui', data_date: dayBefore(3), inputs: '{}',
      status: 'completed', outcome: '{"scored":4}', error: null, started_at: new Date(`${dayBefore(2)}T02:00:00Z`), ended_at: new Date(`${dayBefore(2)}T02:01:00Z`),
    }).execute();
    await upsertDriftReport(
      s.db,
      {
        model_id: model, range_from: new Date(`${dayBefore(1)}T00:00:00Z`), range_to: new Date(`${dayBefore(0)}T00:00:00Z`), status: 'moderate', sample_size: 400,
        drifted_share: 0.05, moderate_share: 0.25, psi_max: 0.31, ks_statistic: 0.1, ks_p_value: 0.2, anomaly_rate: 0.4, baseline_anomaly_rate: 0.3,
        policy: '{}', workflow_id: 'wf-ui-drift', run_id: 'run-ui-drift',
      },
      Array.from({ length: 140 }, (_, position) => ({ position, psi: position % 20 === 0 ? 0.3 : position % 7 === 0 ? 0.15 : 0.02, band: position % 20 === 0 ? 'severe' : position % 7 === 0 ? 'moderate' : 'none' })),
    );
    keys = {
      reviewer: await createApiKey(s.db, { role: 'reviewer', name: 'Rita Reviewer' }),
      auditor: await createApiKey(s.db, { role: 'auditor', name: 'Audrey Auditor' }),
      engineer: await createApiKey(s.db, { role: 'engineer', name: 'Ed Engineer' }),
      scheduler: await createApiKey(s.db, { role: 'scheduler', name: 'Cron' }),
    };
    // A run for the dashboard's list and the run page: no worker polls this task queue, so it waits, running.
    run = await s.p.client.workflow.start('detectDrift', { taskQueue: s.p.taskQueue, workflowId: s.p.tag('ui-drift'), args: [{ date: dayBefore(1) }] });
    api = await listenTestApi(s.t, s.p);
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await api?.close();
    await run?.terminate('browser test done').catch(() => {});
  });

  async function newPage(): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport: VIEWPORT });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    return { page, errors: collectPageErrors(page) };
  }

  const reviewsOf = (ecgId: number) =>
    s.db.selectFrom('reviews').select(['id', 'new_label', 'note', 'api_key_id', 'undone_at']).where('ecg_id', '=', ecgId).orderBy('id').execute();
  const labelOf = async (ecgId: number) => (await s.db.selectFrom('ecg').select('reviewed_label').where('id', '=', ecgId).executeTakeFirstOrThrow()).reviewed_label;
  const selectedBeat = async (page: Page) => Number(await page.locator('#queue-list [aria-selected="true"]').getAttribute('data-ecg-id'));
  const beatChartDrawn = (page: Page) => page.locator('#beat-chart[data-drawn="true"][data-points="140"]').waitFor();

  it('rejects a wrong key on the login form with the API message', async () => {
    const { page } = await newPage();
    await page.goto(`${api.url}/app/`);
    await page.getByLabel('API key').fill('ecg_not-a-real-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#login-error', { hasText: 'the API key is unknown or revoked' }).waitFor();
    expect(page.url()).toMatch(/\/app\/$/);
  });

  it("shows a classifier's attribution under the beat, with the typical normal beat drawn over it", async () => {
    const { page, errors } = await newPage();
    await signIn(page, api.url, keys.reviewer.key);
    await page.locator('#queue-list [role="option"]').first().waitFor();
    await page.locator('#f-model').selectOption('clf-ui');
    await page.locator('#queue-list [role="option"]').nth(1).waitFor();
    expect(await page.locator('#queue-list [role="option"]').count()).toBe(2);
    await page.locator('#attribution-chart[data-drawn="true"][data-points="140"]').waitFor();
    await expect(page.locator('#attribution-chart').getAttribute('aria-label')).resolves.toMatch(/^Attribution of clf-ui's score along the 140 samples; the largest at sample \d+$/);
    await expect(page.locator('#beat-chart').getAttribute('aria-label')).resolves.toBe('Beat of 140 samples with the typical normal beat of 20 training beats with its band');
    await page.locator('#beat-chart-caption', { hasText: "typical normal beat of clf-ui's 20 normal training beats" }).waitFor();
    await page.locator('#explanation', { hasText: 'integrated gradients from the typical normal beat' }).waitFor();
    expect(await pageProblems(page)).toEqual(NO_PAGE_PROBLEMS);
    await page.screenshot({ path: `${ARTIFACTS}/review-classifier.png` });
    // Back on the autoencoder: its reconstruction, and no attribution chart.
    await page.locator('#f-model').selectOption('ae-ui');
    await page.locator('#beat-chart[data-drawn="true"]').waitFor();
    await page.locator('#attribution-box').waitFor({ state: 'hidden' });
    expect(errors).toEqual([]);
  });

  it('orders the queue nearest the threshold first, and keeps the order and model in a link that reopens it', async () => {
    const { page, errors } = await newPage();
    await signIn(page, api.url, keys.reviewer.key);
    await page.locator('#queue-list [role="option"]').nth(beats.length - 1).waitFor();
    const offered = await page.locator('#f-order option').evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value));
    expect(offered).toEqual(['', ...REVIEW_ORDERS]);
    await page.locator('#f-order').selectOption('uncertainty');
    await page.waitForURL(/order=uncertainty/);
    // Scores are (id % 10) / 10 against 0.5: nearest first, ties to the lower id.
    const expected = [...beats].sort((x, y) => Math.abs((x % 10) / 10 - 0.5) - Math.abs((y % 10) / 10 - 0.5) || x - y);
    await page.locator(`#queue-list [role="option"]:first-child[data-ecg-id="${expected[0]}"]`).waitFor();
    const shown = async () => page.locator('#queue-list [role="option"]').evaluateAll((items) => items.map((i) => Number((i as unknown as { dataset: { ecgId: string } }).dataset.ecgId)));
    expect(await shown()).toEqual(expected);
    expect(page.url()).toMatch(/modelTag=ae-ui/);

    // The link opens the same queue.
    await page.goto(page.url());
    await page.locator(`#queue-list [role="option"]:first-child[data-ecg-id="${expected[0]}"]`).waitFor();
    expect(await page.locator('#f-order').inputValue()).toBe('uncertainty');
    expect(await shown()).toEqual(expected);
    expect(errors).toEqual([]);
  });

  it('lets a reviewer relabel a beat from the keyboard and undo it, the rows following', async () => {
    const { page, errors } = await newPage();
    await signIn(page, api.url, keys.reviewer.key);
    expect(page.url()).toMatch(/review\.html$/);
    await page.locator('#whoami', { hasText: 'Rita Reviewer' }).waitFor();
    await page.locator('#queue-list [role="option"]').nth(beats.length - 1).waitFor();
    expect(await page.locator('#queue-list [role="option"]').count()).toBe(beats.length);
    await beatChartDrawn(page);

    // j moves down the queue; the detail follows.
    await page.keyboard.press('j');
    const ecgId = await selectedBeat(page);
    expect(ecgId).toBe(beats[1]);
    await page.locator('#detail-heading', { hasText: `Beat #${ecgId}` }).waitFor();
    await beatChartDrawn(page);
    const modelSaysAnomalous = ecgId % 10 >= 5;
    await expect(page.locator('#disagree').textContent()).resolves.toContain(modelSaysAnomalous ? 'normal' : 'anomalous');

    // Letters typed in the note are text, not shortcuts.
    await page.getByLabel(/^Note/).fill('');
    await page.getByLabel(/^Note/).pressSequentially('a drift artefact, judged by eye');
    expect(await reviewsOf(ecgId)).toEqual([]);
    expect(await selectedBeat(page)).toBe(ecgId);

    // Escape leaves the note; d disagrees with the model.
    await page.keyboard.press('Escape');
    await page.keyboard.press('d');
    await page.locator('#action-status', { hasText: `Saved: beat #${ecgId} labelled ${modelSaysAnomalous ? 'normal' : 'anomalous'}` }).waitFor();
    const [review] = await reviewsOf(ecgId);
    expect(review).toMatchObject({ new_label: modelSaysAnomalous ? 0 : 1, note: 'a drift artefact, judged by eye', api_key_id: keys.reviewer.id, undone_at: null });
    expect(await labelOf(ecgId)).toBe(modelSaysAnomalous ? 0 : 1);
    // The queue moved on to the next beat and marks the reviewed one.
    expect(await selectedBeat(page)).toBe(beats[2]);
    await page.locator(`#queue-list [data-ecg-id="${ecgId}"] .q-reviewed`).waitFor();

    // u takes the decision back, from the next beat, and shows the beat again.
    await page.keyboard.press('u');
    await page.locator('#action-status', { hasText: `Undone: your ${modelSaysAnomalous ? 'normal' : 'anomalous'} label on beat #${ecgId}` }).waitFor();
    expect((await reviewsOf(ecgId))[0]!.undone_at).toBeInstanceOf(Date);
    expect(await labelOf(ecgId)).toBeNull();
    expect(await selectedBeat(page)).toBe(ecgId);
    await page.locator('#history-table tr.undone').waitFor();
    expect(errors).toEqual([]);
  });

  it('shows the review history, marks reviewers who disagree, and undoes with the button', async () => {
    const { page, errors } = await newPage();
    await signIn(page, api.url, keys.reviewer.key);
    await page.getByLabel('Go to the next beat after a decision').uncheck();
    const ecgId = beats[3]!;
    await page.locator(`#queue-list [data-ecg-id="${ecgId}"]`).click();
    await page.locator('#detail-heading', { hasText: `Beat #${ecgId}` }).waitFor();
    await beatChartDrawn(page);
    const modelSaysAnomalous = ecgId % 10 >= 5;

    await page.getByRole('button', { name: /^Agree/ }).click();
    await page.locator('#history-table tbody tr', { hasText: 'Rita Reviewer' }).waitFor();
    expect(await labelOf(ecgId)).toBe(modelSaysAnomalous ? 1 : 0);

    // An engineer, elsewhere, labels the same beat the other way: the reviewers now disagree.
    const other = await fetch(`${api.url}/api/v1/ecgs/${ecgId}/reviews`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.engineer.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ label: modelSaysAnomalous ? 'normal' : 'anomalous', note: 'second opinion' }),
    });
    expect(other.status).toBe(201);
    await page.getByLabel('Unreviewed only').uncheck();
    await page.locator(`#queue-list [data-ecg-id="${ecgId}"]`).click();
    await page.locator('#history-table tbody tr', { hasText: 'Ed Engineer' }).waitFor();
    await page.locator('#disagreement', { hasText: 'Reviewers disagree' }).waitFor({ state: 'visible' });
    await beatChartDrawn(page);
    expect(await pageProblems(page)).toEqual(NO_PAGE_PROBLEMS);
    await page.screenshot({ path: `${ARTIFACTS}/review-page.png` });

    // Undo takes back Rita's own decision; the engineer's label stands, and nobody disagrees any more.
    await page.getByRole('button', { name: /^Undo last decision/ }).click();
    await page.locator('#action-status', { hasText: `Undone: your ${modelSaysAnomalous ? 'anomalous' : 'normal'} label on beat #${ecgId}` }).waitFor();
    const rows = await reviewsOf(ecgId);
    expect(rows.map((r) => [r.api_key_id, r.undone_at === null])).toEqual([
      [keys.reviewer.id, false],
      [keys.engineer.id, true],
    ]);
    expect(await labelOf(ecgId)).toBe(modelSaysAnomalous ? 0 : 1);
    await page.locator('#disagreement').waitFor({ state: 'hidden' });
    expect(errors).toEqual([]);
  });

  it('draws the dashboard: production model, daily rates, PSI by band, and runs linking to their history', async () => {
    const { page, errors } = await newPage();
    await signIn(page, api.url, keys.reviewer.key);
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.waitForURL(/dashboard\.html$/);
    await page.locator('#model-body', { hasText: 'ae-ui' }).waitFor();
    await page.locator('#model-body [data-metric="F1"]', { hasText: '0.900' }).waitFor();
    await page.locator('#anomaly-chart[data-drawn="true"][data-points="30"]').waitFor();
    await page.locator('#agreement-chart[data-drawn="true"][data-points="30"]').waitFor();
    await page.locator('#psi-chart[data-drawn="true"][data-points="140"]').waitFor();
    await expect(page.locator('#psi-chart').getAttribute('aria-label')).resolves.toMatch(/: 114 none, 19 moderate, 7 severe$/);
    await page.locator('#drift-summary', { hasText: 'moderate' }).waitFor();
    await page.locator('#runs-table a').first().waitFor();
    await page.locator('#unscored-summary', { hasText: `1 day up to ${dayBefore(1)} not scored by ae-ui.` }).waitFor();
    const unscored = page.locator('#unscored-table tbody tr');
    await expect(unscored.evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-day'), ...[...r.querySelectorAll('td')].map((c) => c.textContent)]))).resolves.toEqual([
      [dayBefore(1), dayBefore(1), '4 of 4', 'no completed scoring run', 'none'],
    ]);
    expect(await pageProblems(page)).toEqual(NO_PAGE_PROBLEMS);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard.png`, fullPage: true });

    // A run in the list opens its history timeline.
    const first = page.locator('#runs-table a').first();
    const workflowId = (await first.textContent())!;
    await first.click();
    await page.waitForURL(/run\.html\?id=/);
    await page.locator('#run-heading', { hasText: `Workflow ${workflowId}` }).waitFor();

    await page.goto(`${api.url}/app/run.html?id=${encodeURIComponent(run.workflowId)}`);
    await page.locator('#run-facts [data-fact="type"]', { hasText: 'detectDrift' }).waitFor();
    await page.locator('#run-facts [data-fact="status"]', { hasText: 'running' }).waitFor();
    expect(await pageProblems(page)).toEqual(NO_PAGE_PROBLEMS);
    await page.screenshot({ path: `${ARTIFACTS}/run-page.png` });
    expect(errors).toEqual([]);
  });

  it('gives an auditor the pages read-only: no decision buttons, and shortcuts change nothing', async () => {
    const { page } = await newPage();
    await signIn(page, api.url, keys.auditor.key);
    expect(page.url()).toMatch(/dashboard\.html$/);
    await page.goto(`${api.url}/app/review.html`);
    await page.locator('#readonly-note', { hasText: 'Read-only' }).waitFor();
    await beatChartDrawn(page);
    expect(await page.getByRole('button', { name: /^Agree/ }).isVisible()).toBe(false);
    expect(await page.locator('.legend dd:visible').allTextContents()).toEqual(['next beat', 'previous beat']);
    await page.screenshot({ path: `${ARTIFACTS}/review-read-only.png` });
    const before = await s.db.selectFrom('reviews').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    await page.keyboard.press('a');
    await page.locator('#action-status', { hasText: 'cannot review' }).waitFor();
    const after = await s.db.selectFrom('reviews').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it("shows the API's message for a role without access, and sends a rejected or logged-out session back to login", async () => {
    const { page } = await newPage();
    await signIn(page, api.url, keys.scheduler.key);
    await page.locator('#model-error', { hasText: 'the scheduler role may not read' }).waitFor();
    await page.locator('#runs-error', { hasText: 'Error 403' }).waitFor();
    await page.locator('#unscored-error', { hasText: 'Error 403' }).waitFor();

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/app\/index\.html$/);
    await page.goto(`${api.url}/app/review.html`);
    await page.waitForURL(/\/app\/index\.html$/);

    // A key that stops working mid-session (revoked, say): the next call's 401 signs the page out.
    await page.evaluate("sessionStorage.setItem('ecgflow.apiKey', 'ecg_revoked-meanwhile')");
    await page.goto(`${api.url}/app/dashboard.html`);
    await page.waitForURL(/\/app\/index\.html$/);
    await page.locator('#login-error', { hasText: 'Signed out: the API key is unknown or revoked' }).waitFor();
  });
});
