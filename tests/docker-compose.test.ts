import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import proto from '@temporalio/proto';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { apiHealthUrl } from '../cli/commands/deploy';
import { deleteDailySchedule } from '../client/schedule';
import { loadConfig, projectRoot } from '../config/env';
import { createDb } from '../db/connect';
import { SEARCH_ATTRIBUTE_NAMES } from '../workflows/search-attributes';
import { createTestDatabase, type TestDatabase } from './helpers/db';
import { killHard } from './helpers/processes';
import { startTestPipeline, type TestPipeline } from './helpers/temporal';

// The deployment files, read the way Docker reads them: docker-compose.yml through Debian's
// docker-compose (`config` parses and interpolates without a Docker engine), the Dockerfiles through
// a Dockerfile parser and linter. Then the containers' commands (setup job, worker, API, health
// checks) run here, taken from those files, against the real MariaDB and Temporal.

const run = promisify(execFile);
const repo = (file: string) => path.join(projectRoot, file);

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  logging?: { driver: string; options: Record<string, string> };
  healthcheck?: { test: string[]; retries?: number };
  ports?: { published: number | string; target: number }[] | string[];
  expose?: string[];
  container_name?: string;
  hostname?: string;
}
type Compose = { services: Record<string, ComposeService> };

const SERVICES = ['api', 'mysql', 'setup', 'temporal', 'temporal-ui', 'worker'];
const ECGFLOW_SERVICES = ['setup', 'worker', 'api'];
const LONG_RUNNING = ['mysql', 'temporal', 'temporal-ui', 'worker', 'api'];

// The file as written (YAML merge keys resolved), for the commands the containers run.
const composeFile = parse(readFileSync(repo('docker-compose.yml'), 'utf8'), { merge: true }) as Compose;
const commandOf = (service: string) => composeFile.services[service]!.command!;

// ---------- Dockerfiles ----------

const DOCKERFILES = { worker: 'docker/worker.Dockerfile', api: 'docker/api.Dockerfile' } as const;

function readDockerfile(file: string) {
  const text = readFileSync(repo(file), 'utf8');
  const dockerfile = DockerfileParser.parse(text);
  const froms = dockerfile.getFROMs();
  const finalFrom = froms.at(-1)!;
  const finalStage = dockerfile.getInstructions().filter((i) => i.getRange().start.line >= finalFrom.getRange().start.line);
  const only = (keyword: string) => finalStage.filter((i) => i.getKeyword() === keyword);
  return { text, dockerfile, froms, finalStage, only };
}

/** The exec-form (JSON array) command of a CMD or `HEALTHCHECK … CMD` instruction. */
function execForm(instruction: Instruction): string[] {
  const args = instruction.getArgumentsContent() ?? '';
  return JSON.parse(args.slice(args.indexOf('['))) as string[];
}

describe('the Dockerfiles, parsed and linted', () => {
  for (const [service, file] of Object.entries(DOCKERFILES)) {
    it(`${file}: lints clean, multi-stage, runs as a non-root user with a health check`, () => {
      const { text, dockerfile, froms, only } = readDockerfile(file);
      expect(validate(text), 'dockerfile-utils diagnostics').toEqual([]);
      expect(froms.length).toBeGreaterThanOrEqual(2);
      expect(froms.at(-1)!.getBuildStage()).toBe(service);

      // The base image is the Node major the tests run on.
      const nodeImage = dockerfile.getInitialARGs().find((a) => a.getProperty()?.getName() === 'NODE_IMAGE');
      expect(nodeImage?.getProperty()?.getValue()).toBe(`node:${process.versions.node.split('.')[0]}-bookworm-slim`);

      const users = only('USER');
      expect(users).toHaveLength(1);
      expect(users[0]!.getArgumentsContent()).not.toMatch(/^(root|0)(:|$)/);
      const healthchecks = only('HEALTHCHECK');
      expect(healthchecks).toHaveLength(1);
      expect(execForm(healthchecks[0]!)).toEqual(['node', 'bin/ecgflow.mjs', 'health', service]);
      expect(only('CMD').map(execForm)).toEqual([['node', 'bin/ecgflow.mjs', service]]);
    });
  }

  it('the linter reports a broken Dockerfile (so a clean result means something)', () => {
    const broken = readFileSync(repo(DOCKERFILES.worker), 'utf8').replace('--interval=30s', '--intervall=30s');
    expect(validate(broken).map((d) => d.message)).toContain('Unknown flag: intervall');
  });
});

// ---------- docker-compose.yml through docker-compose config ----------

const compose = await findDockerCompose();

/** Debian's docker-compose, installed by docker/install-compose.sh (also run by scripts/setup.sh) when missing. */
async function findDockerCompose(): Promise<{ available: true } | { available: false; reason: string }> {
  const installed = () => run('docker-compose', ['version']).then(() => true, () => false);
  if (await installed()) return { available: true };
  let why = 'not running as root, so docker/install-compose.sh (apt-get) was not tried';
  if (process.getuid?.() === 0) {
    why = await run('sh', [repo('docker/install-compose.sh')], { timeout: 600_000 }).then(
      () => 'docker/install-compose.sh ran but docker-compose is still missing',
      (error: { stderr?: string; message: string }) => `docker/install-compose.sh failed: ${(error.stderr || error.message).trim().split('\n').at(-1)}`,
    );
    if (await installed()) return { available: true };
  }
  return { available: false, reason: `docker-compose cannot be installed (${why})` };
}

/** `docker-compose config` with only the given env file: nothing from this shell's environment leaks in. */
async function composeConfig(envFile: string): Promise<{ code: number; config?: Compose; stderr: string }> {
  try {
    const { stdout, stderr } = await run('docker-compose', ['--env-file', envFile, '-f', repo('docker-compose.yml'), 'config'], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir() },
    });
    return { code: 0, config: parse(stdout) as Compose, stderr };
  } catch (error) {
    const e = error as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

const TEST_ENV = {
  MYSQL_PASSWORD: 'app-secret',
  MYSQL_ROOT_PASSWORD: 'root-secret',
  MYSQL_DATABASE: 'ecg_prod',
  TEMPORAL_NAMESPACE: 'ecg-prod',
  ECGFLOW_TASK_QUEUE: 'ecg-queue',
  LOG_MAX_SIZE: '20m',
  LOG_MAX_FILE: '3',
  API_PUBLISHED_PORT: '9080',
};

describe.skipIf(!compose.available)(
  compose.available ? 'docker-compose.yml, as docker-compose config reads it' : `docker-compose.yml (skipped: ${compose.reason})`,
  () => {
    let dir: string;
    let config: Compose;
    const service = (name: string) => config.services[name]!;

    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'ecgflow-compose-'));
      const envFile = path.join(dir, 'test.env');
      await writeFile(envFile, Object.entries(TEST_ENV).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
      const result = await composeConfig(envFile);
      expect(result.code, result.stderr).toBe(0);
      config = result.config!;
    });

    it('declares MySQL 8, Temporal on MySQL, its UI, the setup job, the worker and the API', () => {
      expect(Object.keys(config.services).sort()).toEqual(SERVICES);
      expect(service('mysql').image).toMatch(/^mysql:8(\.|$)/);
      expect(service('temporal').image).toMatch(/^temporalio\/auto-setup:\d+\.\d+/);
      expect(service('temporal').environment).toMatchObject({ DB: 'mysql8', MYSQL_SEEDS: 'mysql', DB_PORT: '3306' });
      expect(service('temporal-ui').image).toMatch(/^temporalio\/ui:\d+\.\d+/);
      expect(service('temporal-ui').environment).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_DEFAULT_NAMESPACE: 'ecg-prod' });
      for (const name of ['setup', 'worker']) expect(service(name).build).toEqual({ context: projectRoot, dockerfile: DOCKERFILES.worker });
      expect(service('setup').image).toBe(service('worker').image);
      expect(service('api').build).toEqual({ context: projectRoot, dockerfile: DOCKERFILES.api });
    });

    it('runs in its containers exactly the commands the Dockerfiles and the tests below run', () => {
      for (const name of ECGFLOW_SERVICES) expect(service(name).command, name).toEqual(commandOf(name));
      expect(service('setup').command).toEqual(['sh', 'docker/setup.sh']);
      expect(service('worker').command).toEqual(execForm(readDockerfile(DOCKERFILES.worker).only('CMD')[0]!));
      expect(service('api').command).toEqual(execForm(readDockerfile(DOCKERFILES.api).only('CMD')[0]!));
    });

    it('lets the worker scale: no container name, hostname or published port', () => {
      const worker = service('worker');
      expect(worker.container_name).toBeUndefined();
      expect(worker.hostname).toBeUndefined();
      expect(worker.ports).toBeUndefined();
      // Its metrics port is reachable on the compose network only, on every interface of the container.
      expect(worker.expose).toEqual(['9464']);
      expect(loadConfig(worker.environment!)).toMatchObject({ ECGFLOW_WORKER_METRICS_HOST: '0.0.0.0', ECGFLOW_WORKER_METRICS_PORT: 9464 });
    });

    it('restarts the long-running services and runs the setup job once', () => {
      for (const name of LONG_RUNNING) expect(service(name).restart, name).toBe('unless-stopped');
      expect(service('setup').restart).toBe('no');
    });

    it('logs every container to a size-limited json-file', () => {
      for (const name of SERVICES) {
        expect(service(name).logging, name).toEqual({ driver: 'json-file', options: { 'max-size': '20m', 'max-file': '3' } });
      }
    });

    it('orders start-up by health: MySQL, then Temporal, then the setup job, then the worker and the API', () => {
      expect(service('mysql').healthcheck?.test.slice(0, 3)).toEqual(['CMD', 'mysqladmin', 'ping']);
      // Temporal is healthy once the namespace that ecgflow uses exists.
      expect(service('temporal').healthcheck?.test).toEqual(['CMD', 'temporal', 'operator', 'namespace', 'describe', '--namespace', 'ecg-prod', '--address', 'temporal:7233']);
      const healthy = { condition: 'service_healthy' };
      expect(service('temporal').depends_on).toEqual({ mysql: healthy });
      expect(service('temporal-ui').depends_on).toEqual({ temporal: healthy });
      expect(service('setup').depends_on).toEqual({ mysql: healthy, temporal: healthy });
      for (const name of ['worker', 'api']) {
        expect(service(name).depends_on, name).toEqual({ setup: { condition: 'service_completed_successfully' }, mysql: healthy, temporal: healthy });
        // Their health checks come from their images (HEALTHCHECK, checked above); none overrides them.
        expect(service(name).healthcheck, name).toBeUndefined();
      }
    });

    it('gives every ecgflow container a configuration that config/env.ts accepts, pointing at the services', () => {
      const mysqlEnv = service('mysql').environment!;
      expect(mysqlEnv).toMatchObject({ MYSQL_ROOT_PASSWORD: 'root-secret', MYSQL_PASSWORD: 'app-secret', MYSQL_DATABASE: 'ecg_prod' });
      expect(service('temporal').environment).toMatchObject({ MYSQL_PWD: 'root-secret', DEFAULT_NAMESPACE: 'ecg-prod' });
      for (const name of ECGFLOW_SERVICES) {
        const settings = loadConfig(service(name).environment!);
        expect(settings.mysql, name).toMatchObject({ host: 'mysql', port: 3306, user: mysqlEnv.MYSQL_USER, password: 'app-secret', database: 'ecg_prod' });
        expect(settings, name).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_NAMESPACE: 'ecg-prod', ECGFLOW_TASK_QUEUE: 'ecg-queue' });
      }
      const api = loadConfig(service('api').environment!);
      expect(api).toMatchObject({ API_HOST: '0.0.0.0', API_PORT: 8080 });
      expect(service('api').ports).toEqual([{ published: 9080, target: 8080 }]);
    });

    it('refuses to run without the passwords, naming the missing setting', async () => {
      const empty = path.join(dir, 'empty.env');
      await writeFile(empty, '');
      const result = await composeConfig(empty);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/set (MYSQL_ROOT_PASSWORD|MYSQL_PASSWORD) in \.env/);
    });

    it('accepts .env.example as its .env, whose development addresses stay out of the containers', async () => {
      const result = await composeConfig(repo('.env.example'));
      expect(result.code, result.stderr).toBe(0);
      for (const name of ECGFLOW_SERVICES) {
        expect(result.config!.services[name]!.environment, name).toMatchObject({ MYSQL_HOST: 'mysql', TEMPORAL_ADDRESS: 'temporal:7233' });
      }
    });
  },
);

// ---------- the containers' commands on the real services ----------

/** Runs a container command (argv from the compose file or a Dockerfile) from the project root, as WORKDIR /app. */
async function runCommand(argv: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const [file, ...args] = argv;
  try {
    const { stdout, stderr } = await run(file === 'node' ? process.execPath : file!, args, { cwd: projectRoot, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Starts a long-running container command and resolves once its log says it is ready. */
async function startCommand(argv: string[], env: Record<string, string>, ready: string): Promise<ChildProcess> {
  const [file, ...args] = argv;
  const child = spawn(file === 'node' ? process.execPath : file!, args, { cwd: projectRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`${argv.join(' ')} was not ready in 60 s:\n${log}`)), 60_000);
    const watch = (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', watch);
    child.stderr!.on('data', watch);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${argv.join(' ')} exited with ${code} before it was ready:\n${log}`));
    });
  });
  return child;
}

async function until<T>(attempt: () => Promise<T>, done: (value: T) => boolean, seconds: number): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await attempt().catch((error: unknown) => error as T);
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function healthcheckOf(service: keyof typeof DOCKERFILES): string[] {
  return execForm(readDockerfile(DOCKERFILES[service]).only('HEALTHCHECK')[0]!);
}

describe('the setup job (docker/setup.sh) on a fresh database and a fresh Temporal namespace', () => {
  const base = loadConfig().mysql;
  const database = `ecgflow_t_compose_setup_${randomBytes(4).toString('hex')}`;
  const namespace = `ecgflow-compose-${randomBytes(4).toString('hex')}`;
  let p: TestPipeline;
  let t: TestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    const admin = createDb(base);
    await sql`create database ${sql.id(database)} character set utf8mb4 collate utf8mb4_unicode_ci`.execute(admin);
    await admin.destroy();
    // Only for its Temporal client; the setup job gets the empty database above.
    t = await createTestDatabase('compose_client');
    p = await startTestPipeline(t, 'compose-setup', { worker: false });
    await p.client.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    // A new namespace reaches every Temporal service's cache within seconds.
    await until(() => p.client.connection.operatorService.listSearchAttributes({ namespace }), (r) => !(r instanceof Error), 60);
    env = {
      MYSQL_HOST: base.host,
      MYSQL_PORT: String(base.port),
      MYSQL_USER: base.user,
      MYSQL_PASSWORD: base.password,
      MYSQL_DATABASE: database,
      TEMPORAL_NAMESPACE: namespace,
      ECGFLOW_TASK_QUEUE: p.taskQueue,
      // docker-compose.yml's defaults for the schedule, whatever this shell has set.
      ECGFLOW_SCHEDULE_AT: '02:00',
      ECGFLOW_SCHEDULE_TZ: 'UTC',
      ECGFLOW_AUTO_RETRAIN: 'false',
    };
  });
  afterAll(async () => {
    if (p) {
      await deleteDailySchedule(new Client({ connection: p.client.connection, namespace }), 'ecgflow-daily').catch(() => undefined);
      await p.client.connection.operatorService.deleteNamespace({ namespace }).catch(() => undefined);
      await p.stop();
    }
    await t?.drop();
    const admin = createDb(base);
    await sql`drop database if exists ${sql.id(database)}`.execute(admin);
    await admin.destroy();
  });

  it('migrates, registers the search attributes and applies the daily schedule; run again, it changes nothing', async () => {
    const first = await runCommand(commandOf('setup'), env);
    expect(first.code, first.stderr).toBe(0);
    const lines = first.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^applied \d{4}-\d\d-\d\dT\d{4}-[a-z-]+(, \d{4}-\d\d-\d\dT\d{4}-[a-z-]+)*$/);
    expect(lines[1]).toBe(`registered search attributes ${SEARCH_ATTRIBUTE_NAMES.join(', ')} on namespace ${namespace}`);
    expect(lines[2]).toBe('created schedule ecgflow-daily: daily at 02:00 UTC, for the previous day; auto-retrain off; active');
    expect(lines[3]).toMatch(new RegExp(`^task queue ${p.taskQueue}, overlap BUFFER_ALL`));

    const db = createDb({ ...base, database });
    try {
      const tables = await sql<{ n: number }>`select count(*) as n from information_schema.tables where table_schema = ${database} and table_name in ('ecg', 'models', 'predictions', 'kysely_migration')`.execute(db);
      expect(Number(tables.rows[0]!.n)).toBe(4);
    } finally {
      await db.destroy();
    }
    const attributes = await p.client.connection.operatorService.listSearchAttributes({ namespace });
    for (const name of SEARCH_ATTRIBUTE_NAMES) {
      expect(attributes.customAttributes?.[name], name).toBe(proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    }

    const again = await runCommand(commandOf('setup'), env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim().split('\n').slice(0, 3)).toEqual([
      `database ${database} is up to date`,
      `namespace ${namespace} already has the search attributes ${SEARCH_ATTRIBUTE_NAMES.join(', ')}`,
      'updated schedule ecgflow-daily: daily at 02:00 UTC, for the previous day; auto-retrain off; active',
    ]);
  });
});

describe('the health checks of the worker and API images, on the real services', () => {
  let t: TestDatabase;
  let p: TestPipeline;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    t = await createTestDatabase('compose_health');
    p = await startTestPipeline(t, 'compose-health', { worker: false });
  });
  afterAll(async () => {
    await Promise.all(children.map(killHard));
    await p?.stop();
    await t?.drop();
  });

  it('worker: unhealthy before it polls, healthy while it polls, unhealthy once its process is gone', async () => {
    const check = () => runCommand(healthcheckOf('worker'), p.env);
    const host = os.hostname();
    const before = await check();
    expect(before.code).toBe(1);
    expect(before.stderr.trim()).toBe(`ecgflow: unhealthy: no worker on ${host} polls task queue ${p.taskQueue} in namespace ${p.config.TEMPORAL_NAMESPACE}`);

    const worker = await startCommand(commandOf('worker'), p.env, 'worker ready');
    children.push(worker);
    // Its first poll reaches Temporal just after it logs that it is ready.
    const healthy = await until(check, (r) => r.code === 0, 30);
    expect(healthy.code, healthy.stderr).toBe(0);
    expect(healthy.stdout.trim()).toBe(`healthy: ${worker.pid}@${host} polls task queue ${p.taskQueue}`);

    await killHard(worker);
    const gone = await check();
    expect(gone.code).toBe(1);
    expect(gone.stderr.trim()).toBe(`ecgflow: unhealthy: the worker process ${worker.pid} on ${host} that polled task queue ${p.taskQueue} is gone`);
  });

  it('api: healthy while GET /healthz answers, unhealthy once the API is gone', async () => {
    const port = await freePort();
    const env = { ...p.env, API_HOST: '127.0.0.1', API_PORT: String(port) };
    const check = () => runCommand(healthcheckOf('api'), env);
    const api = await startCommand(commandOf('api'), env, 'api ready');
    children.push(api);
    const healthy = await check();
    expect(healthy.code, healthy.stderr).toBe(0);
    expect(healthy.stdout.trim()).toBe(`healthy: http://127.0.0.1:${port}/healthz answered 200`);

    await killHard(api);
    const gone = await check();
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(new RegExp(`^ecgflow: unhealthy: the API does not answer at http://127\\.0\\.0\\.1:${port}/healthz \\(.*ECONNREFUSED`));
  });

  it('api: a wildcard API_HOST (the image listens on 0.0.0.0) is checked through the loopback', () => {
    expect(apiHealthUrl('0.0.0.0', 8080)).toBe('http://127.0.0.1:8080/healthz');
    expect(apiHealthUrl('::', 8080)).toBe('http://[::1]:8080/healthz');
    expect(apiHealthUrl('10.0.0.7', 9000)).toBe('http://10.0.0.7:9000/healthz');
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
