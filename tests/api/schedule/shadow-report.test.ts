import { beforeAll, describe, expect, it } from 'vitest';
import { insertBareModel, insertBeats, insertPredictions } from '../../helpers/api-read-data';
import { useTestServices } from '../../helpers/lifecycle';

// GET /api/v1/shadow-report: the staging model's decisions against production's on the same beats,
// per UTC day and in total, with the models chosen as `ecgflow shadow report` chooses them.

describe('GET /shadow-report', () => {
  const s = useTestServices('api-shadow-report', { pipeline: { worker: false }, api: true });
  let dayOne: number[];
  let dayTwo: number[];

  beforeAll(async () => {
    const production = await insertBareModel(s.t, 'shadow-prod', 'production');
    const staging = await insertBareModel(s.t, 'shadow-stage', 'staging');
    await insertBareModel(s.t, 'shadow-old-stage', 'archived');
    dayOne = await insertBeats(s.db, { first: 1, count: 10, day: '2026-11-17', source: 'shadow.csv', anomalousEvery: 2 });
    dayTwo = await insertBeats(s.db, { first: 11, count: 4, day: '2026-11-18', source: 'shadow.csv' });
    // Production scores every beat (anomalous when id % 10 >= 5); staging only the first day's, flagging from id % 10 >= 3.
    await insertPredictions(s.db, [...dayOne, ...dayTwo], production);
    await s.db
      .insertInto('predictions')
      .values(dayOne.map((id) => ({ ecg_id: id, model_id: staging, score: 0.5, threshold: 0.5, is_anomalous: id % 10 >= 3 ? 1 : 0, workflow_id: 'wf-shadow', run_id: 'r', scored_at: new Date() })))
      .execute();
  });

  const report = (query: string, as: 'engineer' | 'auditor' | 'reviewer' | 'scheduler' = 'auditor') => s.api.call('GET', `/api/v1/shadow-report${query}`, { as });

  it('compares the model in production with the one in staging, day by day, every day of the range listed', async () => {
    const response = await report('?from=2026-11-17&to=2026-11-19');
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    const prodAnomalous = (id: number) => id % 10 >= 5;
    const stageAnomalous = (id: number) => id % 10 >= 3;
    const agreed = dayOne.filter((id) => prodAnomalous(id) === stageAnomalous(id)).length;
    expect(body).toMatchObject({ from: '2026-11-17', to: '2026-11-19', production: 'shadow-prod', staging: 'shadow-stage' });
    expect(body.days.map((d: { day: string }) => d.day)).toEqual(['2026-11-17', '2026-11-18', '2026-11-19']);
    expect(body.days[0]).toMatchObject({
      beats: 10, productionScored: 10, stagingScored: 10, bothScored: 10, agreed, agreementRate: agreed / 10,
      stagingOnlyAnomalies: dayOne.filter((id) => stageAnomalous(id) && !prodAnomalous(id)).length, productionOnlyAnomalies: 0, labelled: 10,
    });
    expect(body.days[1]).toMatchObject({ beats: 4, productionScored: 4, stagingScored: 0, bothScored: 0, agreementRate: null });
    expect(body.days[2]).toMatchObject({ beats: 0, bothScored: 0 });
    expect(body.total).toMatchObject({ beats: 14, productionScored: 14, stagingScored: 10, bothScored: 10, agreed });
    expect((await report('?from=2026-11-17&to=2026-11-17', 'reviewer')).statusCode).toBe(200);
    expect((await report('?from=2026-11-17&to=2026-11-17', 'scheduler')).statusCode).toBe(403);
  });

  it('compares the models named, and says which one it cannot find', async () => {
    const named = (await report('?from=2026-11-17&to=2026-11-17&production=shadow-stage&staging=shadow-prod')).json();
    expect([named.production, named.staging, named.days[0].stagingOnlyAnomalies]).toEqual(['shadow-stage', 'shadow-prod', 0]);
    expect((await report('?from=2026-11-17&to=2026-11-17&staging=nope')).json()).toMatchObject({ error: 'not_found', field: 'querystring.staging', message: 'querystring.staging: no model is tagged "nope"' });
    await s.db.updateTable('models').set({ stage: 'archived' }).where('tag', '=', 'shadow-stage').execute();
    try {
      expect((await report('?from=2026-11-17&to=2026-11-17')).json()).toMatchObject({ error: 'not_found', field: 'querystring.staging', message: 'no model is in staging; name one with ?staging=<tag>' });
    } finally {
      await s.db.updateTable('models').set({ stage: 'staging' }).where('tag', '=', 'shadow-stage').execute();
    }
  });

  it('refuses a bad range with a 400 naming the field and the rule', async () => {
    const cases: [string, string, string][] = [
      ['?from=2026-11-18&to=2026-11-17', 'querystring.to', 'from_before_to'],
      ['?from=2025-01-01&to=2026-11-17', 'querystring.to', 'max_days'],
      ['?from=2026-02-29&to=2026-03-01', 'querystring.from', 'calendar_day'],
      ['?from=2026-11-17', 'querystring.to', 'required'],
      ['?from=2026-11-17&to=2026-11-18&staging=bad%20tag', 'querystring.staging', 'pattern'],
    ];
    for (const [query, field, rule] of cases) expect((await report(query)).json(), query).toMatchObject({ error: 'invalid_request', field, rule });
    expect((await report('?from=2025-01-01&to=2026-11-17')).json().message).toBe('querystring.to: 2025-01-01 to 2026-11-17 is 686 days, more than the 366 allowed at once; ask for a shorter range');
  });

  it('answers the calendar\'s last days without a fault', async () => {
    for (const query of ['?from=9999-12-31&to=9999-12-31', '?from=1000-01-01&to=1000-01-02']) {
      const response = await report(query);
      expect(response.statusCode, `${query}: ${response.body}`).toBe(200);
    }
  });
});
