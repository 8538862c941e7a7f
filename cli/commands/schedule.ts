import {
  applyDailySchedule,
  backfillDailySchedule,
  dailyScheduleSettings,
  dailyScheduleStatus,
  deleteDailySchedule,
  pauseDailySchedule,
  resumeDailySchedule,
  triggerDailySchedule,
  waitForBackfill,
  type DailyScheduleSettings,
  type DailyScheduleStatus,
} from '../../client/schedule';
import { applyArchiveSchedule, archiveScheduleIdFor, deleteArchiveSchedule } from '../../client/archive';
import { dayRangeOf } from '../../common/dates';
import type { dailyPipeline } from '../../workflows/dailyPipeline';
import type { CliContext } from '../context';
import { fixed, printResult, table } from '../output';
import { waitForResult } from '../wait';
import type { DailyPipelineResult } from '../../contracts/workflows/daily-pipeline';

export async function runScheduleApply(ctx: CliContext, given: Partial<DailyScheduleSettings>, json: boolean): Promise<void> {
  const settings = dailyScheduleSettings(ctx.config, given);
  const client = await ctx.temporal();
  const { created, status } = await applyDailySchedule(client, ctx.config, settings);
  // The history archive's schedule goes with the daily one (ecgflow-archive beside ecgflow-daily).
  const archive = await applyArchiveSchedule(client, ctx.config, archiveScheduleIdFor(settings.scheduleId));
  printResult(json, { created, ...status, archive }, () =>
    `${created ? 'created' : 'updated'} ${describeStatus(status)}\n${archive.created ? 'created' : 'updated'} schedule ${archive.scheduleId}: archives closed runs' histories into MySQL every ${archive.every}`,
  );
}

export async function runScheduleStatus(ctx: CliContext, scheduleId: string, json: boolean): Promise<void> {
  const status = await dailyScheduleStatus(await ctx.temporal(), scheduleId);
  printResult(json, status, () => describeStatus(status));
}

export async function runSchedulePause(ctx: CliContext, scheduleId: string, pause: boolean, note: string | undefined, json: boolean): Promise<void> {
  const client = await ctx.temporal();
  const status = pause ? await pauseDailySchedule(client, scheduleId, note) : await resumeDailySchedule(client, scheduleId, note);
  printResult(json, status, () => describeStatus(status));
}

export async function runScheduleDelete(ctx: CliContext, scheduleId: string, json: boolean): Promise<void> {
  const client = await ctx.temporal();
  await deleteDailySchedule(client, scheduleId);
  await deleteArchiveSchedule(client, archiveScheduleIdFor(scheduleId));
  printResult(json, { scheduleId, deleted: true }, () => `deleted schedule ${scheduleId}; its past runs stay in Temporal's history`);
}

export async function runScheduleTrigger(ctx: CliContext, scheduleId: string, wait: boolean, json: boolean): Promise<void> {
  const client = await ctx.temporal();
  const run = await triggerDailySchedule(client, scheduleId);
  if (!wait) {
    printResult(json, run, () => `started ${run.workflowId} for ${run.date}`);
    return;
  }
  const handle = client.workflow.getHandle<typeof dailyPipeline>(run.workflowId, run.runId);
  const result = await waitForResult(handle, { uiUrl: ctx.config.TEMPORAL_UI_URL });
  printResult(json, { ...run, result }, () => describeDay(result));
}

export async function runScheduleBackfill(ctx: CliContext, scheduleId: string, days: { from: string; to: string }, wait: boolean, json: boolean): Promise<void> {
  dayRangeOf(days);
  const client = await ctx.temporal();
  const backfill = await backfillDailySchedule(client, scheduleId, days);
  if (!wait) {
    const runs = backfill.runs.map(({ workflowId, date, scheduledAt }) => ({ workflowId, date, scheduledAt }));
    printResult(json, runs, () => runs.map((r) => `started ${r.workflowId} for ${r.date}`).join('\n'));
    return;
  }
  const results = await waitForBackfill(client, backfill);
  printResult(json, results, () => results.map((r) => describeDay(r.result)).join('\n'));
}

function describeStatus(s: DailyScheduleStatus): string {
  const lines = [
    `schedule ${s.scheduleId}: daily at ${s.at} ${s.timeZone}, for the previous day; auto-retrain ${s.autoRetrain ? 'on' : 'off'}; ${s.paused ? `paused${s.note ? ` (${s.note})` : ''}` : 'active'}`,
    `task queue ${s.taskQueue}, overlap ${s.overlap}, ${s.actionsTaken} runs started, ${s.skippedOverlap} skipped for overlap`,
  ];
  if (s.nextRuns.length > 0) lines.push(`next runs: ${s.nextRuns.map((r) => `${r.at.toISOString()} (${r.date})`).join(', ')}`);
  if (s.recentRuns.length > 0) {
    lines.push('recent runs:');
    lines.push(table(['scheduled', 'day', 'status', 'workflow'], s.recentRuns.map((r) => [r.scheduledAt.toISOString(), r.date, r.status, r.workflowId])));
  }
  return lines.join('\n');
}

function describeDay(r: DailyPipelineResult): string {
  const scoring = (s: { modelTag: string; scored: number; anomalies: number }) => `${s.scored} beats scored with ${s.modelTag}, ${s.anomalies} anomalies`;
  const shadow = r.shadow.map((s) => ('error' in s ? `shadow ${s.modelTag} failed: ${s.error}` : `shadow: ${scoring(s)}`));
  const drift = `drift ${r.drift.status} (max PSI ${fixed(r.drift.psiMax, 3)}, drifted share ${fixed(r.drift.driftedShare, 3)}, ${r.drift.sampleSize} beats)`;
  const retrain = 'skipped' in r.retrain
    ? `no retraining: ${r.retrain.skipped}`
    : 'started' in r.retrain
      ? `retraining started on its own: ${r.retrain.started} (ecgflow runs show ${r.retrain.started})`
      : `retrained ${r.retrain.challenger.tag}: ${r.retrain.promoted ? 'promoted' : 'not promoted'} (${r.retrain.reason})`;
  return [`${r.date}: ${scoring(r.production)}`, ...shadow, drift, retrain].join('; ');
}
