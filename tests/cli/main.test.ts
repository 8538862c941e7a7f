import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pendingActivityDetails } from '../../cli/wait';
import { MIGRATION_NAMES } from '../../db/migrate';
import { ecg5000Paths } from '../helpers/ecg-data';
import { CLI, runCli } from '../helpers/processes';
import { useTestServices } from '../helpers/lifecycle';

describe('the ecgflow command line on the real services', () => {
  const s = useTestServices('cli', { pipeline: true });

  const ecgflow = (...args: string[]) => runCli(s.p.env, args);

  it('describes every command in --help', async () => {
    const { stdout } = await ecgflow('--help');
    const commands = ['services', 'migrate', 'worker', 'ingest', 'train', 'infer', 'models', 'predictions', 'runs', 'drift', 'promote', 'rollback', 'retrain', 'approve', 'reject', 'schedule', 'shadow'];
    for (const command of commands) {
      expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
  });

  it('migrates (again) and reports the services as JSON', async () => {
    const migrate = await ecgflow('migrate', '--json');
    expect(JSON.parse(migrate.stdout)).toEqual({ applied: [], alreadyApplied: MIGRATION_NAMES.length });
    // Up again while both run: it reuses them and says where they are.
    const upRun = await ecgflow('services', 'up', '--json');
    expect(upRun.code, upRun.stderr).toBe(0);
    const up = JSON.parse(upRun.stdout);
    expect(up).toMatchObject({ mysql: { up: true }, temporal: { up: true } });
    const status = JSON.parse((await ecgflow('services', 'status', '--json')).stdout);
    expect(status.mysql.up).toBe(true);
    expect(status.temporal).toMatchObject({ up: true, address: '127.0.0.1:7233' });
  });

  it('ingests, trains, scores and lists predictions traced to their source rows', async () => {
    const ingest = await ecgflow('ingest', ecg5000Paths().tsv, '--source', 'ucr-train', '--recorded-on', '2026-04-01', '--json');
    expect(ingest.code).toBe(0);
    expect(JSON.parse(ingest.stdout)).toMatchObject({ source: 'ucr-train', inserted: 500, duplicates: 0, rejected: [] });

    const train = await ecgflow('train', '--tag', s.p.tag('cli-m'), '--epochs', '5', '--candidates', 'baseline', '--json');
    expect(train.code).toBe(0);
    const trained = JSON.parse(train.stdout);
    expect(trained).toMatchObject({ workflowId: `train-${s.p.tag('cli-m')}`, tag: s.p.tag('cli-m'), kind: 'dense-autoencoder' });
    expect(trained.metrics.count).toBe(trained.rowCounts.test);

    const infer = await ecgflow('infer', '--date', '2026-04-01', '--json');
    expect(JSON.parse(infer.stdout)).toMatchObject({ workflowId: `score-2026-04-01-${s.p.tag('cli-m')}`, scored: 500, modelTag: s.p.tag('cli-m') });

    const predictions = JSON.parse((await ecgflow('predictions', '--date', '2026-04-01', '--limit', '3', '--json')).stdout);
    expect(predictions).toHaveLength(3);
    expect(predictions.map((r: { sourceRow: number }) => r.sourceRow)).toEqual([1, 2, 3]);
    for (const row of predictions) {
      expect(row).toMatchObject({ source: 'ucr-train', modelTag: s.p.tag('cli-m'), threshold: trained.threshold });
      expect(row.isAnomalous).toBe(row.score >= row.threshold);
    }
    const models = JSON.parse((await ecgflow('models', '--json')).stdout);
    expect(models.map((m: { tag: string }) => m.tag)).toEqual([s.p.tag('cli-m')]);

    const human = await ecgflow('infer', '--date', '2026-04-01');
    expect(human.stdout.trim()).toBe(`2026-04-01: 0 beats scored with ${s.p.tag('cli-m')}, 0 anomalies`);
  });

  it('stops waiting on Ctrl-C and leaves the workflow running to completion', async () => {
    const tag = s.p.tag('interrupted');
    const child = spawn(process.execPath, [CLI, 'train', '--tag', tag, '--epochs', '150'], { env: { ...process.env, ...s.p.env } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const handle = s.p.client.workflow.getHandle(`train-${tag}`);
    // Interrupted once training reports progress, as a person would after seeing it: by then the CLI
    // has long had the start's answer and waits (RUNNING alone can be seen before the CLI hears of it).
    await expect.poll(() => pendingActivityDetails(handle).catch(() => undefined), { timeout: 30_000 }).toBeDefined();
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain(`stopped waiting; workflow train-${tag} keeps running`);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect(await handle.result()).toMatchObject({ tag });
  });

  it('prints the report of a refused file with --json, and writes nothing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ecgflow-cli-'));
    const file = path.join(dir, 'half-bad.csv');
    const good = Array.from({ length: 140 }, (_, i) => (Math.sin(i / 9) + 0.001 * i).toFixed(5)).join(',');
    await writeFile(file, `${good},1.0\n${good.replace(/^[^,]+/, 'oops')},1.0\n`);
    const before = await s.db.selectFrom('ecg').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const result = await ecgflow('ingest', file, '--json');
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ source: 'half-bad.csv', inserted: 0, rejectedTotal: 1, rejected: [{ row: 2 }] });
    expect(result.stderr).toMatch(/^ecgflow: .*row 2/);
    const after = await s.db.selectFrom('ecg').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('exits non-zero with one clear line on bad input', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ecgflow-cli-'));
    const bad = path.join(dir, 'bad.csv');
    await writeFile(bad, '1,2,3\n');
    const cases: [string[], RegExp][] = [
      [['ingest', bad], /row 1/],
      [['ingest', path.join(dir, 'missing.csv')], /missing\.csv/],
      [['infer', '--date', '2026-04-01', '--model', 'nope'], /no model is tagged "nope"/],
      [['infer', '--date', '2026-13-01'], /date/],
      [['train', '--tag', 'bad tag'], /tag: expected/],
      [['train', '--tag', 'x', '--epochs', 'many'], /epochs/],
      [['predictions', '--limit', '0'], /limit/],
    ];
    for (const [args, pattern] of cases) {
      const result = await ecgflow(...args);
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.stderr, args.join(' ')).toMatch(pattern);
      expect(result.stderr.trim().split('\n')[0], args.join(' ')).toMatch(/^ecgflow: /);
      expect(result.stderr, args.join(' ')).not.toMatch(/\n\s+at /);
    }
  });
});
