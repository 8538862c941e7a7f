import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../db/queries/api-keys';
import { promoteModel } from '../../db/queries/registry';
import { initTensorFlow } from '../../ml/tf/backend';
import { insertBeats, insertPredictions, storeUntrainedModel } from '../helpers/api-read-data';
import { collectPageErrors, ensureWebBuilt, launchChromium, listenTestApi, signIn, type ListeningApi } from '../helpers/browser';
import { useTestServices } from '../helpers/lifecycle';

// The review page in a real browser against the real API and database. A decision whose answer
// was lost, then retried, or a double click, must leave one review row.
describe('the review page sends each decision once', () => {
  const s = useTestServices('browser-retry', { pipeline: { worker: false } });
  let api: ListeningApi;
  let browser: Browser;
  let reviewer: { id: number; key: string };
  let beats: number[];

  beforeAll(async () => {
    ensureWebBuilt();
    const { tf } = await initTensorFlow('wasm');
    const model = await storeUntrainedModel(s.db, tf, 'dense-autoencoder', 'ae-retry');
    await promoteModel(s.db, { tag: 'ae-retry', to: 'production', by: 'browser test', reason: 'the model under review', workflowId: 'wf-retry-promote' });
    const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    beats = await insertBeats(s.db, { first: 301, count: 4, day, source: 'retry.csv' });
    await insertPredictions(s.db, beats, model);
    reviewer = await createApiKey(s.db, { role: 'reviewer', name: 'Rita Retry' });
    api = await listenTestApi(s.t, s.p);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  const rowsOf = (ecgId: number) => s.db.selectFrom('reviews').select(['id', 'idempotency_key', 'undone_at']).where('ecg_id', '=', ecgId).orderBy('id').execute();
  const selectedBeat = async (page: Page) => Number(await page.locator('#queue-list [aria-selected="true"]').getAttribute('data-ecg-id'));

  it('replays a retried decision whose answer was lost, and takes a double click as one decision', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const errors = collectPageErrors(page);
    try {
      await signIn(page, api.url, reviewer.key);
      await page.locator('#queue-list [role="option"]').nth(beats.length - 1).waitFor();
      await page.locator('#auto-advance').uncheck();
      const ecgId = await selectedBeat(page);

      // The first request reaches the API and is saved, but its answer never reaches the page.
      const sentKeys: string[] = [];
      let loseAnswer = true;
      await page.route('**/api/v1/ecgs/*/reviews', async (route: Route) => {
        sentKeys.push(route.request().headers()['idempotency-key'] ?? '');
        if (!loseAnswer) return route.continue();
        loseAnswer = false;
        await route.fetch();
        await route.abort('connectionreset');
      });
      await page.getByLabel(/^Note/).fill('retried');
      await page.locator('#agree').click();
      await page.locator('#action-error', { hasText: 'The decision was not saved' }).waitFor();
      expect(await rowsOf(ecgId)).toHaveLength(1);

      // The person tries again: the page sends the same key, and the API replays the saved review.
      await page.locator('#agree').click();
      await page.locator('#action-status', { hasText: `Saved: beat #${ecgId}` }).waitFor();
      const rows = await rowsOf(ecgId);
      expect(rows).toHaveLength(1);
      expect(sentKeys).toHaveLength(2);
      expect(sentKeys[0]).toMatch(/^[0-9a-f-]{32,36}$/);
      expect(sentKeys[1]).toBe(sentKeys[0]);
      expect(rows[0]!.idempotency_key).toBe(sentKeys[0]);

      // A click straight after the save is the tail of a double click: still one review.
      await page.locator('#agree').click();
      await expect.poll(() => sentKeys.length).toBe(3);
      await page.locator('#agree:not([disabled])').waitFor();
      expect(sentKeys[2]).toBe(sentKeys[0]);
      expect(await rowsOf(ecgId)).toHaveLength(1);

      // A different decision is a new one, with a fresh key; one undo takes it back, then the next undo the first.
      await page.locator('#disagree').click();
      await expect.poll(async () => (await rowsOf(ecgId)).length).toBe(2);
      expect(sentKeys[3]).not.toBe(sentKeys[0]);
      await page.locator('#agree:not([disabled])').waitFor();
      await page.locator('#undo').click();
      await expect.poll(async () => (await rowsOf(ecgId)).map((r) => r.undone_at !== null)).toEqual([false, true]);
      await page.locator('#undo:not([disabled])').waitFor();
      await page.locator('#undo').click();
      await expect.poll(async () => (await rowsOf(ecgId)).map((r) => r.undone_at !== null)).toEqual([true, true]);
      // Deciding the same after the undo is a new decision, not a replay of the undone review.
      await page.locator('#agree:not([disabled])').waitFor();
      await page.getByLabel(/^Note/).fill('retried');
      await page.locator('#agree').click();
      await expect.poll(async () => (await rowsOf(ecgId)).map((r) => r.undone_at !== null)).toEqual([true, true, false]);
      // The lost answer is the only failure the page reported.
      expect(errors.filter((e) => !/ERR_CONNECTION_RESET|ERR_FAILED/.test(e))).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
