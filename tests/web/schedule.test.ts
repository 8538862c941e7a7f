import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyDailySchedule, dailyScheduleSettings, deleteDailySchedule, scheduledRunWorkflowId } from '../../client/schedule';
import { addDays, formatDay, startOfDay } from '../../common/dates';
import { createApiKey } from '../../db/queries/api-keys';
import { promoteModel } from '../../db/queries/registry';
import { initTensorFlow } from '../../ml/tf/backend';
import { insertBeats, insertPredictions, storeUntrainedModel } from '../helpers/api-read-data';
import { ensureWebBuilt, launchChromium, listenTestApi, NO_PAGE_PROBLEMS, openSignedIn, PAGE_VIEWPORT, pageProblems, type ListeningApi } from '../helpers/browser';
import { useTestServices } from '../helpers/lifecycle';

// The schedule page in chromium against the real API, MariaDB and Temporal: what it draws, and
// what each engineer's action changes in Temporal (the schedule's state and note, the runs started).

const ARTIFACTS = 'test-artifacts';
const VIEWPORT = PAGE_VIEWPORT;
const daysAgo = (n: number) => formatDay(addDays(startOfDay(new Date()), -n));

describe('the schedule page in a browser', () => {
  const s = useTestServices('schedule_ui', { pipeline: true });
  let api: ListeningApi;
  let browser: Browser;
  let keys: Record<'engineer' | 'auditor', string>;
  let scheduleId: string;
  let shadowDays: { first: number[]; second: number[] };

  beforeAll(async () => {
    ensureWebBuilt();
    mkdirSync(ARTIFACTS, { recursive: true });
    scheduleId = s.p.tag('ui-daily');
    // Created paused: the timetable never fires during the test.
    await applyDailySchedule(s.p.client, s.p.config, dailyScheduleSettings(s.p.config, { scheduleId, paused: true }));

    const { tf } = await initTensorFlow('wasm');
    const production = await storeUntrainedModel(s.db, tf, 'dense-autoencoder', 'ui-prod');
    await promoteModel(s.db, { tag: 'ui-prod', to: 'production', by: 'schedule test', reason: 'the champion', workflowId: 'wf-ui-prod' });
    const staging = await storeUntrainedModel(s.db, tf, 'dense-classifier', 'ui-stage');
    await promoteModel(s.db, { tag: 'ui-stage', to: 'staging', by: 'schedule test', reason: 'shadow it', workflowId: 'wf-ui-stage' });
    shadowDays = {
      first: await insertBeats(s.db, { first: 1, count: 10, day: daysAgo(9), source: 'ui.csv', anomalousEvery: 2 }),
      second: await insertBeats(s.db, { first: 11, count: 4, day: daysAgo(8), source: 'ui.csv' }),
    };
    // Production flags id % 10 >= 5; staging, scoring the first day only, flags id % 10 >= 3.
    await insertPredictions(s.db, [...shadowDays.first, ...shadowDays.second], production);
    await s.db
      .insertInto('predictions')
      .values(shadowDays.first.map((id) => ({ ecg_id: id, model_id: staging, score: 0.5, threshold: 0.5, is_anomalous: id % 10 >= 3 ? 1 : 0, workflow_id: 'wf-ui-shadow', run_id: 'r', scored_at: new Date() })))
      .execute();

    keys = {
      engineer: (await createApiKey(s.db, { role: 'engineer', name: 'Ed Engineer' })).key,
      auditor: (await createApiKey(s.db, { role: 'auditor', name: 'Ada Auditor' })).key,
    };
    api = await listenTestApi(s.t, s.p);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    if (s.started.p && scheduleId) await deleteDailySchedule(s.started.p.client, scheduleId).catch(() => undefined);
  });

  const open = (key: string, search: string) => openSignedIn(browser, api.url, key, `schedule.html${search}`);

  const temporalState = async () => (await s.p.client.schedule.getHandle(scheduleId).describe()).state;
  const runType = (workflowId: string) => s.p.client.workflow.getHandle(workflowId).describe().then((d) => d.type, () => 'not started');

  it('shows an engineer the spec, next runs, missed days and the shadow report, and acts on the schedule in Temporal', async () => {
    const { page, errors } = await open(keys.engineer, `?id=${scheduleId}&from=${daysAgo(9)}&to=${daysAgo(8)}`);
    await page.locator('#spec dd[data-fact="runs"]', { hasText: 'daily at 02:00 UTC, for the day before' }).waitFor();
    await expect(page.locator('#spec dd[data-fact="state"]').textContent()).resolves.toBe('paused');
    await expect(page.locator('#spec dd[data-fact="task-queue"]').textContent()).resolves.toBe(s.p.taskQueue);
    expect(await page.locator('#next-runs li').count()).toBe(5);
    await expect(page.locator('#recent-runs tbody').textContent()).resolves.toBe('No run yet.');
    // Both seeded days have beats and no scoring run of the production model.
    await expect(page.locator('#missed-days tbody tr td:first-child').allTextContents()).resolves.toEqual([daysAgo(8), daysAgo(9)]);
    await page.locator('#missed-summary', { hasText: '2 days' }).waitFor();

    // The shadow report of the days in the link: staging flags ids ending 3 and 4 that production does not.
    await page.locator('#shadow-table tbody tr').first().waitFor();
    await expect(page.locator('#shadow-models').textContent()).resolves.toContain('Staging ui-stage against production ui-prod');
    const cells = (day: string) => page.locator(`#shadow-table tr[data-day="${day}"] td`).allTextContents();
    const stagingOnly = shadowDays.first.filter((id) => id % 10 === 3 || id % 10 === 4).length;
    const agreement = `${(((10 - stagingOnly) / 10) * 100).toFixed(1)}%`;
    await expect(cells(daysAgo(9))).resolves.toEqual(['10', '10', agreement, '0', String(stagingOnly), '10', expect.stringMatching(/%$/), expect.stringMatching(/%$/)]);
    await expect(cells(daysAgo(8))).resolves.toEqual(['4', '0', '—', '0', '0', '0', '—', '—']);
    await expect(cells('total')).resolves.toEqual(['14', '10', agreement, '0', String(stagingOnly), '10', expect.stringMatching(/%$/), expect.stringMatching(/%$/)]);

    // Fits the laptop screen across; every serious accessibility rule holds.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(VIEWPORT.width);
    expect(await pageProblems(page)).toEqual(NO_PAGE_PROBLEMS);
    await page.screenshot({ path: `${ARTIFACTS}/schedule-page.png`, fullPage: true });

    // Resume by keyboard alone: the note, then Tab to the one button that applies, then Enter.
    expect(await page.locator('#pause').isHidden()).toBe(true);
    await page.locator('#note').focus();
    await page.keyboard.type('quiet week');
    await page.keyboard.press('Tab');
    expect(await page.locator('#resume:focus').count()).toBe(1);
    await page.keyboard.press('Enter');
    await page.locator('#action-status', { hasText: 'Resumed' }).waitFor();
    expect(await temporalState()).toMatchObject({ paused: false, note: expect.stringMatching(/^quiet week — resumed by Ed Engineer \(api key \d+\)$/) });
    await page.locator('#spec dd[data-fact="state"]', { hasText: 'active' }).waitFor();

    await page.locator('#note').fill('database upgrade tonight');
    await page.getByRole('button', { name: 'Pause the schedule' }).click();
    await page.locator('#action-status', { hasText: 'Paused' }).waitFor();
    expect(await temporalState()).toMatchObject({ paused: true, note: expect.stringMatching(/^database upgrade tonight — paused by Ed Engineer \(api key \d+\)$/) });
    await page.locator('#spec dd[data-fact="note"]', { hasText: 'database upgrade tonight' }).waitFor();

    // Run yesterday now, while paused: a dailyPipeline run, linked from the status line and the recent runs.
    await page.getByRole('button', { name: 'Run yesterday now' }).click();
    const started = page.locator('#action-status a');
    await started.waitFor();
    const triggered = (await started.textContent())!;
    expect(await runType(triggered)).toBe('dailyPipeline');
    await expect(page.locator('#action-status').textContent()).resolves.toContain(`Started a run for ${daysAgo(1)}`);
    await expect(page.locator(`#recent-runs tr[data-workflow-id="${triggered}"] a`).getAttribute('href')).resolves.toBe(`run.html?id=${encodeURIComponent(triggered)}`);

    // Backfill two past days: one dailyPipeline run each, under the names the schedule gives its runs.
    await page.locator('#backfill-from').fill(daysAgo(20));
    await page.locator('#backfill-to').fill(daysAgo(19));
    await page.getByRole('button', { name: 'Backfill these days' }).click();
    await page.locator('#action-status', { hasText: `Backfill of ${daysAgo(20)} to ${daysAgo(19)}: 2 runs` }).waitFor();
    const backfilled = [daysAgo(19), daysAgo(18)].map((runDay) => scheduledRunWorkflowId(scheduleId, new Date(`${runDay}T02:00:00Z`)));
    await expect(page.locator('#action-status a').allTextContents()).resolves.toEqual([daysAgo(20), daysAgo(19)]);
    // They run one after another: the second starts once the first (and the triggered run) closed.
    for (const id of backfilled) await expect.poll(() => runType(id), { timeout: 40_000, interval: 250 }).toBe('dailyPipeline');

    // A refused backfill says why in the status line.
    await page.locator('#backfill-from').fill(daysAgo(3));
    await page.locator('#backfill-to').fill(daysAgo(5));
    await page.getByRole('button', { name: 'Backfill these days' }).click();
    await page.locator('#action-status', { hasText: `Refused: body.to: ${daysAgo(5)} is before from (${daysAgo(3)})` }).waitFor();
    // Reloaded with every run listed (the backfilled ones started after the answer), the page still fits across.
    await page.reload();
    for (const id of [triggered, ...backfilled]) await page.locator(`#recent-runs tr[data-workflow-id="${id}"]`).waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(VIEWPORT.width);
    await page.screenshot({ path: `${ARTIFACTS}/schedule-page-after-actions.png`, fullPage: true });
    expect(errors).toEqual([]);
  });

  it('shows an auditor the same panels without any action, and keeps the report\'s days in the link', async () => {
    const { page, errors } = await open(keys.auditor, `?id=${scheduleId}`);
    await page.locator('#spec dd[data-fact="runs"]', { hasText: '02:00 UTC' }).waitFor();
    await page.locator('#shadow-table tbody tr').first().waitFor();
    expect(await page.locator('#actions').isHidden()).toBe(true);
    for (const input of await page.locator('#actions input, #actions button').all()) expect(await input.isVisible()).toBe(false);
    // Without days in the link, the last 7 up to yesterday, written into the link.
    expect(new URL(page.url()).searchParams.get('from')).toBe(daysAgo(7));
    expect(new URL(page.url()).searchParams.get('to')).toBe(daysAgo(1));

    await page.getByLabel('From', { exact: true }).fill(daysAgo(9));
    await page.getByLabel('to (inclusive, UTC days)').fill(daysAgo(9));
    await page.getByRole('button', { name: 'Show the report' }).click();
    await page.locator(`#shadow-table tbody tr[data-day="${daysAgo(9)}"]`).waitFor();
    expect(await page.locator('#shadow-table tbody tr').count()).toBe(1);
    const url = new URL(page.url());
    expect([url.searchParams.get('id'), url.searchParams.get('from'), url.searchParams.get('to')]).toEqual([scheduleId, daysAgo(9), daysAgo(9)]);
    expect(await pageProblems(page)).toEqual(NO_PAGE_PROBLEMS);
    expect(errors).toEqual([]);
  });

  it('says how to create a schedule that does not exist', async () => {
    const missing = s.p.tag('never-applied');
    const { page, errors } = await open(keys.engineer, `?id=${missing}`);
    await page.locator('#schedule-error', { hasText: `create it with ecgflow schedule apply --id ${missing}` }).waitFor();
    expect(await page.locator('#actions').isHidden()).toBe(true);
    expect(errors).toEqual([]);
  });
});
