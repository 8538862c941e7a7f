import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../db/queries/api-keys';
import { promoteModel } from '../../db/queries/registry';
import { initTensorFlow } from '../../ml/tf/backend';
import { storeUntrainedModel } from '../helpers/api-read-data';
import { ensureWebBuilt, launchChromium, listenTestApi, NO_PAGE_PROBLEMS, openSignedIn, pageProblems, type ListeningApi } from '../helpers/browser';
import { useTestServices } from '../helpers/lifecycle';
import { ingestEcg5000Head } from '../helpers/api-workflows';
import { ensureSearchAttributes } from '../../client/search-attributes';

const ARTIFACTS = 'test-artifacts';
describe('the models page in a browser', () => {
  const s = useTestServices('models_ui', { pipeline: true });
  let api: ListeningApi;
  let browser: Browser;
  let keys: Record<'engineer' | 'approver' | 'reviewer', string>;

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
      approver: (await createApiKey(s.db, { role: 'engineer', name: 'Ada Approver' })).key,
      reviewer: (await createApiKey(s.db, { role: 'reviewer', name: 'Rita Reviewer' })).key,
    };
    await ingestEcg5000Head(s.t, 400, '2026-03-01');
    await ensureSearchAttributes(s.p.client, s.p.config.TEMPORAL_NAMESPACE);
    api = await listenTestApi(s.t, s.p);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  const open = (key: string, search = '') => openSignedIn(browser, api.url, key, `models.html${search}`);

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

    expect(await pageProblems(page)).toEqual(NO_PAGE_PROBLEMS);
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
    expect(await reader.page.locator('#retrain-form').isHidden()).toBe(true);
    expect(await pageProblems(reader.page)).toEqual(NO_PAGE_PROBLEMS);
    expect(reader.errors).toEqual([]);
  });

  it('starts a retraining by tag, a second engineer approves it, and the new model’s card draws its curves, confusion matrix, threshold and loss from training', async () => {
    const tag = s.p.tag('ui-retrain');
    const asker = await open(keys.engineer);
    await asker.page.locator('#retrains-list', { hasText: 'No retraining is running.' }).waitFor();
    await asker.page.locator('#retrain-tag').fill(tag);
    await asker.page.locator('#retrain-candidates').selectOption('baseline');
    await asker.page.locator('#retrain-epochs').fill('3');
    await asker.page.locator('#retrain-min-auc').fill('0.5');
    await asker.page.locator('#retrain-min-accuracy').fill('0.5');
    await asker.page.getByRole('button', { name: 'Start the retraining' }).click();
    await asker.page.locator('#retrain-status', { hasText: `Started retrain-${tag}` }).waitFor();
    const waiting = asker.page.locator(`.retrain-item[data-tag="${tag}"][data-phase="awaiting-approval"]`);
    await waiting.waitFor({ timeout: 60_000 });
    await expect(waiting.textContent()).resolves.toContain('Approvals 0 of 1');
    expect(await pageProblems(asker.page)).toEqual(NO_PAGE_PROBLEMS);
    await asker.page.screenshot({ path: `${ARTIFACTS}/models-retrain-waiting.png`, fullPage: true });

    // The asker may not approve their own retraining; the API's refusal is shown, nothing changes.
    await waiting.getByRole('button', { name: `Approve ${tag}` }).click();
    await waiting.locator('.decision-status', { hasText: 'Refused' }).waitFor();

    const approver = await open(keys.approver);
    const theirs = approver.page.locator(`.retrain-item[data-tag="${tag}"][data-phase="awaiting-approval"]`);
    await theirs.locator('input[name="reason"]').fill('curves look right');
    await theirs.getByRole('button', { name: `Approve ${tag}` }).click();
    await expect
      .poll(async () => (await s.db.selectFrom('models').select('stage').where('tag', '=', tag).executeTakeFirst())?.stage, { timeout: 60_000, interval: 250 })
      .toBe('production');
    await approver.page.locator('#retrains-list', { hasText: 'No retraining is running.' }).waitFor({ timeout: 15_000 });

    const card = await open(keys.engineer, `?tag=${tag}`);
    await card.page.locator('#card-heading', { hasText: `Model ${tag}` }).waitFor();
    for (const chart of ['roc-chart', 'pr-chart', 'loss-chart']) await card.page.locator(`#${chart}[data-drawn="true"]`).waitFor();
    const stored = await s.db.selectFrom('models').select(['metrics', 'evaluation', 'row_counts']).where('tag', '=', tag).executeTakeFirstOrThrow();
    const evaluation = JSON.parse(stored.evaluation!);
    expect(evaluation.loss.loss).toHaveLength(3);
    // The loss chart has one point per epoch; the ROC chart as many as were stored.
    await expect(card.page.locator('#loss-chart').getAttribute('data-points')).resolves.toBe('3');
    await expect(card.page.locator('#roc-chart').getAttribute('data-points')).resolves.toBe(String(evaluation.curves.roc.x.length));
    const { tp, fn, fp, tn } = JSON.parse(stored.metrics).confusionMatrix;
    await expect(card.page.locator('#confusion-matrix tr[data-actual="anomalous"] td').allTextContents()).resolves.toEqual(expect.arrayContaining([String(tp), String(fn)]));
    await expect(card.page.locator('#confusion-matrix tr[data-actual="normal"] td').first().textContent()).resolves.toBe(String(fp));
    expect(tp + fn + fp + tn).toBe(JSON.parse(stored.row_counts).test);
    await card.page.locator('#threshold-reason', { hasText: `validation beats (${JSON.parse(stored.row_counts).validationAnomalous} anomalous)` }).waitFor();
    await card.page.locator('#card-body dd', { hasText: 'API key Ed Engineer' }).waitFor();
    await card.page.locator('#history-table tbody tr', { hasText: 'production' }).waitFor();
    expect(await pageProblems(card.page)).toEqual(NO_PAGE_PROBLEMS);
    await card.page.screenshot({ path: `${ARTIFACTS}/models-card.png`, fullPage: true });
    expect([...asker.errors, ...approver.errors, ...card.errors]).toEqual([]);
  }, 150_000);
});
