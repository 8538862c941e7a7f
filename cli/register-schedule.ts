import type { Command } from 'commander';
import { action, decimal, integer } from './program';

// Command modules load on use, so `--help` does not pay for Temporal.
const commands = {
  schedule: () => import('./commands/schedule'),
  shadow: () => import('./commands/shadow'),
};

// client/schedule's DEFAULT_SCHEDULE_ID, repeated so that --help does not load the Temporal client.
const DEFAULT_SCHEDULE_ID = 'ecgflow-daily';

interface IdOption {
  id: string;
  json?: boolean;
}

/** The schedule commands; each command module loads on use, as in main.ts. */
export function registerScheduleCommands(program: Command): void {
  const schedule = program
    .command('schedule')
    .description('the daily pipeline\'s Temporal Schedule: score yesterday, check drift, retrain on severe drift');
  const withId = (command: Command) =>
    command.option('--id <id>', 'the schedule id', DEFAULT_SCHEDULE_ID).option('--json', 'print one JSON value');

  withId(
    schedule
      .command('apply')
      .description('create the schedule or update it to these settings (safe to run twice); unset options come from ECGFLOW_SCHEDULE_AT/TZ and ECGFLOW_AUTO_RETRAIN')
      .option('--at <HH:MM>', 'local time of the daily run (default $ECGFLOW_SCHEDULE_AT or 02:00)')
      .option('--timezone <zone>', 'IANA time zone of --at and of "the previous day" (default $ECGFLOW_SCHEDULE_TZ or UTC)')
      .option('--auto-retrain', 'retrain when drift is severe')
      .option('--no-auto-retrain', 'never retrain from the schedule')
      .option('--paused', 'create or leave the schedule paused')
      .option('--no-paused', 'unpause the schedule (default: keep its current state)')
      .option('--challenger-prefix <prefix>', 'tag retrained challengers <prefix>-<day> (default auto)')
      .option('--retrain-below-agreement <x>', "also retrain when reviewers agree with the production model on fewer than this share of the latest reviewed beats (e.g. 0.85)", decimal(0, 1))
      .option('--agreement-reviews <n>', 'how many of the latest reviewed beats the agreement is measured over (default 200)', integer(1, 100_000))
      .option('--agreement-min-reviews <n>', 'fewest reviewed beats the agreement needs before it can retrain (default 20)', integer(1, 100_000)),
  ).action(
    action(
      async (
        ctx,
        o: IdOption & { at?: string; timezone?: string; autoRetrain?: boolean; paused?: boolean; challengerPrefix?: string; retrainBelowAgreement?: number; agreementReviews?: number; agreementMinReviews?: number },
      ) =>
        (await commands.schedule()).runScheduleApply(
          ctx,
          {
            scheduleId: o.id, at: o.at, timeZone: o.timezone, autoRetrain: o.autoRetrain, paused: o.paused, challengerTagPrefix: o.challengerPrefix,
            retrainOnAgreement: o.retrainBelowAgreement === undefined ? undefined : { below: o.retrainBelowAgreement, lastReviews: o.agreementReviews ?? 200, ...(o.agreementMinReviews === undefined ? {} : { minReviews: o.agreementMinReviews }) },
          },
          Boolean(o.json),
        ),
    ),
  );

  withId(schedule.command('status').description('the schedule\'s time, zone, paused state, next runs and recent runs')).action(
    action(async (ctx, o: IdOption) => (await commands.schedule()).runScheduleStatus(ctx, o.id, Boolean(o.json))),
  );

  withId(schedule.command('pause').description('stop starting daily runs until resumed').option('--note <text>', 'why it is paused')).action(
    action(async (ctx, o: IdOption & { note?: string }) => (await commands.schedule()).runSchedulePause(ctx, o.id, true, o.note, Boolean(o.json))),
  );

  withId(schedule.command('resume').description('start daily runs again').option('--note <text>', 'why it resumes')).action(
    action(async (ctx, o: IdOption & { note?: string }) => (await commands.schedule()).runSchedulePause(ctx, o.id, false, o.note, Boolean(o.json))),
  );

  withId(
    schedule
      .command('trigger')
      .description('run the daily pipeline now, for the previous day (also when paused), and wait for it')
      .option('--no-wait', 'print the started run and return'),
  ).action(action(async (ctx, o: IdOption & { wait: boolean }) => (await commands.schedule()).runScheduleTrigger(ctx, o.id, o.wait, Boolean(o.json))));

  withId(
    schedule
      .command('backfill')
      .description('run the daily pipeline for past days, one after another; a day already done adds nothing')
      .requiredOption('--from <day>', 'first day to process, inclusive (YYYY-MM-DD)')
      .requiredOption('--to <day>', 'last day to process, inclusive')
      .option('--no-wait', 'print the runs to be started and return'),
  ).action(
    action(async (ctx, o: IdOption & { from: string; to: string; wait: boolean }) =>
      (await commands.schedule()).runScheduleBackfill(ctx, o.id, { from: o.from, to: o.to }, o.wait, Boolean(o.json)),
    ),
  );

  withId(schedule.command('delete').description('delete the schedule (its past runs stay in Temporal\'s history)')).action(
    action(async (ctx, o: IdOption) => (await commands.schedule()).runScheduleDelete(ctx, o.id, Boolean(o.json))),
  );

  const shadow = program.command('shadow').description('a staging model scores the daily batches beside production, without deciding');
  shadow
    .command('report')
    .description('compare the decisions of the production and staging models, day by day')
    .requiredOption('--from <day>', 'first day, inclusive (YYYY-MM-DD)')
    .requiredOption('--to <day>', 'last day, inclusive')
    .option('--production <tag>', 'the production model (default: the one in production)')
    .option('--staging <tag>', 'the staging model (default: the newest in staging)')
    .option('--json', 'print one JSON value')
    .action(
      action(async (ctx, o: { from: string; to: string; production?: string; staging?: string; json?: boolean }) =>
        (await commands.shadow()).runShadowReport(ctx, o, Boolean(o.json)),
      ),
    );
}
