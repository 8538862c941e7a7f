import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../db/queries/api-keys';
import { promoteModel } from '../../db/queries/registry';
import { initTensorFlow } from '../../ml/tf/backend';
import { storeUntrainedModel } from '../helpers/api-read-data';
import { collectPageErrors, ensureWebBuilt, launchChromium, listenTestApi, seriousViolations, signIn, type ListeningApi } from '../helpers/browser';
import { useTestServices } from '../helpers/lifecycle';

const ARTIFACTS = 'test-artifacts';
const VIEWPORT = { width: 1366, height: 768 };
describe('the models page in a browser', () => {
  const s = useTestServices('models_ui', { pipeline: true });
  let api: ListeningApi;
  let browser: Browser;
  let keys: Record<'engineer' | 'reviewer', string>;

  beforeAll(async () => {
    ensureWebBuilt();
    mkdirSync(ARTIFACTS, { recursive: true });
    const { tf } = await initTensorFlow('wasm');
    await storeUntrainedModel(s.db, tf, 'dense-autoencoder', 'ae-m1');
    await promoteModel(s.db, { tag: 'ae-m1', to: 'production', by: 'models test', reason: 'the first model', workflowId: 'wf-models-promote' });
    await storeUntrainedModel(s.db, tf, 'dense-classifier', 'clf-m2');
    await s.db
      .insertInto('model_candidates')
      .values(
        ['dense-classifier-64-32', 'baseline-autoencoder'].map((name, i) => ({
          tag: 'clf-m2', workflow_id: 'wf-clf-m2', name, kind: i === 0 ? 'dense-classifier' : 'dense-autoencoder', hyperparameters: '{}', threshold: 0.4 + i / 10,
          metrics: JSON.stringify({ rocAuc: 0.99 - i / 10, f1: 0.95 - i / 10 }), status: 'trained', detail: null, selected: i === 0 ? 1 : 0, training_ms: 1200,
        })),
      )
      .execute();
    keys = {
      engineer: (await createApiKey(s.db, { role: 'engineer', name: 'Ed Engineer' })).key,
      reviewer: (await createApiKey(s.db, { role: 'reviewer', name: 'Rita Reviewer' })).key,
    };
    api = await listenTestApi(s.t, s.p);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  async function open(key: string, search = ''): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport: VIEWPORT });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const errors = collectPageErrors(page);
    await signIn(page, api.url, key);
    await page.goto(`${api.url}/app/models.html${search}`);
    return { page, errors };
  }

  it('lists every model, shows one card and two side by side from the link, and says which was in production at a time', async () => {
    const { page, errors } = await open(keys.engineer, '?tag=clf-m2&compare=ae-m1');
    await page.locator('#models-table tbody tr[data-tag="ae-m1"]').waitFor();
    expect(await page.locator('#models-table tbody tr').count()).toBe(2);
    await expect(page.locator('#models-table tr[data-tag="ae-m1"] .stage').textContent()).resolves.toBe('production');
    await page.locator('#card-heading', { hasText: 'Model clf-m2' }).waitFor();
    await page.locator('#candidates-table tr[data-candidate="dense-classifier-64-32"]', { hasText: '(selected)' }).waitFor();
    await expect(page.locator('#candidates-table tr[data-candidate="baseline-autoencoder"] td').nth(2).textContent()).resolves.toBe('0.890');
    await page.locator('#card-body .fingerprint', { hasText: 'f'.repeat(64) }).waitFor();
    await page.locator('#compare-body thead th', { hasText: 'ae-m1' }).waitFor();
    await expect(page.locator('#compare-body thead th').allTextContents()).resolves.toEqual(['Metric', 'clf-m2', 'ae-m1']);

    await page.locator('#at').fill(new Date(Date.now() + 60_000).toISOString().slice(0, 19));
    await page.getByRole('button', { name: 'Look up' }).click();
    await page.locator('#production-at-answer', { hasText: 'ae-m1 was in production' }).waitFor();
    await page.locator('#at').fill('2001-01-01T00:00:00');
    await page.getByRole('button', { name: 'Look up' }).click();
    await page.locator('#production-at-answer', { hasText: 'No model was in production' }).waitFor();

    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/models-page.png` });
    expect(errors).toEqual([]);
  });

  it('lets an engineer promote a model, the stage history recording why; a reviewer only reads', async () => {
    const { page, errors } = await open(keys.engineer, '?tag=clf-m2');
    await page.locator('#actions').waitFor();
    expect(await page.locator('#rollback').isHidden()).toBe(true);
    await page.locator('#reason').fill('shadow it for a week');
    await page.getByRole('button', { name: 'Promote to staging' }).click();
    await page.locator('#action-status', { hasText: 'Done.' }).waitFor({ timeout: 60_000 });
    const row = await s.db.selectFrom('models').select('stage').where('tag', '=', 'clf-m2').executeTakeFirstOrThrow();
    expect(row.stage).toBe('staging');
    const history = await s.db.selectFrom('model_stage_history as h').innerJoin('models as m', 'm.id', 'h.model_id').select(['h.to_stage', 'h.changed_by', 'h.reason']).where('m.tag', '=', 'clf-m2').execute();
    expect(history).toEqual([{ to_stage: 'staging', changed_by: expect.stringMatching(/^Ed Engineer \(api key \d+\)$/), reason: 'shadow it for a week' }]);
    await page.locator('#models-table tr[data-tag="clf-m2"] .stage', { hasText: 'staging' }).waitFor();
    expect(errors).toEqual([]);

    const reader = await open(keys.reviewer, '?tag=ae-m1');
    await reader.page.locator('#card-heading', { hasText: 'Model ae-m1' }).waitFor();
    await reader.page.locator('#history-table tbody tr', { hasText: 'the first model' }).waitFor();
    expect(await reader.page.locator('#actions').isHidden()).toBe(true);
    expect(await seriousViolations(reader.page)).toEqual([]);
    expect(reader.errors).toEqual([]);
  });
});
