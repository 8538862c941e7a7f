import { Command, Option } from 'commander';
import { action, decimal, failureText, integer, isoTime, unitList } from './program';
import { registerApiCommands } from './register-api';
import { registerAuditCommands } from './register-audit';
import { registerCodecCommands } from './register-codec';
import { registerDeployCommands } from './register-deploy';
import { registerDriftCommands } from './register-drift';
import { registerRegistryCommands } from './register-registry';
import { registerRunsCommands } from './register-runs';
import { registerScheduleCommands } from './register-schedule';
import { CliError } from './output';
import { INGEST_FORMATS, type IngestFormat } from '../ingest/formats';
import { CANDIDATE_SETS, CANDIDATE_THRESHOLD_RULES, SELECTION_METRICS } from '../ml/planning/candidates';
import type { ScoreRequest } from '../contracts/workflows/score-batch';
import type { TrainModelInput } from '../contracts/workflows/train-model';

/** The option every command shares: print one JSON value instead of text. */
type JsonFlag = { json?: boolean };

// Command modules load on use, so `--help` and light commands do not pay for Temporal, TensorFlow or exceljs.
const commands = {
  data: () => import('./commands/data'),
  infer: () => import('./commands/infer'),
  read: () => import('./commands/read'),
  services: () => import('./commands/services'),
  train: () => import('./commands/train'),
};

const program = new Command('ecgflow')
  .description('Durable ML pipelines for ECG anomaly detection on Temporal and MySQL')
  .showHelpAfterError('(ecgflow --help lists every command)')
  .configureOutput({ outputError: (text, write) => write(`ecgflow: ${text.replace(/^error: /, '')}`) });

program
  .command('services')
  .description('start, stop or report MariaDB and the Temporal dev server (installs them when missing)')
  .argument('<action>', 'up, down or status')
  .option('--json', 'print one JSON value')
  .action(async (act: string, o: { json?: boolean }) => {
    try {
      (await commands.services()).runServices(act, Boolean(o.json));
    } catch (error) {
      process.stderr.write(`ecgflow: ${(error as Error).message}\n`);
      process.exitCode = error instanceof CliError ? error.exitCode : 1;
    }
  });

program
  .command('migrate')
  .description('apply database migrations (safe to run twice)')
  .option('--json', 'print one JSON value')
  .action(action(async (ctx, o: { json?: boolean }) => (await commands.data()).runMigrate(ctx, Boolean(o.json))));

program
  .command('worker')
  .description('run a pipeline worker until Ctrl-C (its logs are JSON lines on stderr)')
  .option('--json', 'accepted for symmetry: the worker always logs JSON')
  .action(async () => {
    const { runWorker } = await import('../workers/main');
    try {
      await runWorker();
    } catch (error) {
      process.stderr.write(`ecgflow: ${await failureText(error)}\n`);
      process.exitCode = 1;
    }
  });

program
  .command('ingest')
  .description('store the beats of a CSV/TSV/xlsx file (TensorFlow tutorial, UCR or unlabelled layout)')
  .argument('<file>', 'the file to read')
  .option('--source <name>', 'source name stored with every beat (default: the file name)')
  .option('--recorded-on <day>', 'record every beat on this day (YYYY-MM-DD)')
  .option('--spread-days <n>', 'spread the rows evenly over the N days ending yesterday', integer(1, 3650))
  .option('--unlabelled', 'ignore a label column')
  .option('--skip-invalid', 'store the good rows and report the bad ones (default: a bad row writes nothing)')
  .addOption(new Option('--format <layout>', 'column layout (default: detected)').choices(INGEST_FORMATS))
  .option('--json', 'print one JSON value')
  .action(
    action(async (ctx, file: string, o: { source?: string; recordedOn?: string; spreadDays?: number; unlabelled?: boolean; skipInvalid?: boolean; format?: IngestFormat; json?: boolean }) =>
      (await commands.data()).runIngest(ctx, { path: file, source: o.source, recordedOn: o.recordedOn, spreadDays: o.spreadDays, unlabelled: o.unlabelled, skipInvalid: o.skipInvalid, format: o.format }, Boolean(o.json)),
    ),
  );

program
  .command('train')
  .description('train candidate models on the labelled beats of a window and save the best under a tag (workflow train-<tag>)')
  .requiredOption('--tag <tag>', 'the model tag')
  .option('--from <day>', 'first training day, inclusive (default: all)')
  .option('--to <day>', 'last training day, inclusive (default: all)')
  .option('--epochs <n>', 'baseline autoencoder: training epochs (default 20)', integer(1, 10_000))
  .option('--batch-size <n>', 'baseline autoencoder: batch size (default 512)', integer(1, 1_000_000))
  .option('--learning-rate <x>', 'baseline autoencoder: Adam learning rate (default 0.001)', decimal(1e-6, 1))
  .option('--encoder-units <list>', 'baseline autoencoder: encoder layer widths; the decoder mirrors them (default 32,16,8)', unitList)
  .option('--test-fraction <x>', 'held-out share of the labelled beats (default 0.2)', decimal(0.01, 0.99))
  .option('--seed <n>', 'random seed (default 42)', integer(0, 2 ** 31 - 1))
  .addOption(new Option('--candidates <set>', 'all: baseline, wider autoencoders and classifiers, best on validation wins; baseline: the baseline alone (default all)').choices(CANDIDATE_SETS))
  .addOption(new Option('--threshold-rule <rule>', "each candidate's threshold: maximise F1 or Youden's J on validation, or an autoencoder rule on its training loss (default f1)").choices(CANDIDATE_THRESHOLD_RULES))
  .addOption(new Option('--select-by <metric>', 'validation metric that picks the model, ties broken by F1 (default rocAuc)').choices(SELECTION_METRICS))
  .option('--validation-fraction <x>', 'share of the non-test beats held back for validation (default 0.2)', decimal(0.01, 0.99))
  .option('--min-labels-per-class <n>', 'anomalous and normal beats a classifier needs to train (default 50)', integer(1, 1_000_000))
  .option('--json', 'print one JSON value')
  .action(
    action(async (ctx, o: TrainModelInput & JsonFlag) => {
      const { json, ...input } = o;
      return (await commands.train()).runTrain(ctx, dropUndefined(input), Boolean(json));
    }),
  );

program
  .command('infer')
  .description('score the beats of a day (or days) not yet scored by the model (workflow score-<day>-<tag>)')
  .option('--date <day>', 'the day to score (YYYY-MM-DD)')
  .option('--from <day>', 'first day, inclusive')
  .option('--to <day>', 'last day, inclusive')
  .option('--model <tag>', 'the model (default: the production model, else the newest)')
  .option('--chunk-size <n>', 'beats per activity (default 10000)', integer(1, 1_000_000))
  .option('--json', 'print one JSON value')
  .action(action(async (ctx, o: Omit<ScoreRequest, 'modelTag'> & { model?: string } & JsonFlag) => (await commands.infer()).runInfer(ctx, o, Boolean(o.json))));

program
  .command('models')
  .description('list the trained models with their stage and metrics, or (--at) the model in production at a given time and why')
  .option('--at <time>', 'ISO time, e.g. 2026-11-23T14:00:00Z: which model was in production then, from the stage history', isoTime)
  .option('--json', 'print one JSON value')
  .action(
    action(async (ctx, o: { at?: Date; json?: boolean }) =>
      o.at ? (await commands.read()).runModelsAt(ctx, o.at, Boolean(o.json)) : (await commands.read()).runModels(ctx, Boolean(o.json)),
    ),
  );

program
  .command('predictions')
  .description('list predictions, each traced to its source file and row')
  .option('--date <day>', 'beats recorded on this day')
  .option('--source <name>', 'beats from this source')
  .option('--model <tag>', 'predictions of this model')
  .option('--limit <n>', 'at most this many rows (default 100)', integer(1, 1_000_000), 100)
  .option('--json', 'print one JSON value')
  .action(action(async (ctx, o: { date?: string; source?: string; model?: string; limit: number; json?: boolean }) => (await commands.read()).runPredictions(ctx, o, Boolean(o.json))));

registerRegistryCommands(program);
registerRunsCommands(program);
registerDriftCommands(program);
registerScheduleCommands(program);
registerApiCommands(program);
registerDeployCommands(program);
registerAuditCommands(program);
registerCodecCommands(program);

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

await program.parseAsync(process.argv);
