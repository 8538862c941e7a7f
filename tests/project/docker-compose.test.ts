import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { msToTs, tsToMs } from '@temporalio/common/lib/time';
import proto from '@temporalio/proto';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { apiHealthUrl } from '../../cli/commands/deploy';
import { connectClient } from '../../client/connection';
import { deleteDailySchedule } from '../../client/schedule';
import { codecServerSettings } from '../../codec-server/main';
import { loadConfig, projectRoot } from '../../config/env';
import { createDb } from '../../db/connect';
import { SEARCH_ATTRIBUTE_NAMES } from '../../workflows/search-attributes';
import { killHard } from '../helpers/processes';
import { useTestServices } from '../helpers/lifecycle';
import { freePort } from '../helpers/ports';

// The deployment files, read the way Docker reads them: docker-compose.yml through Debian's
// docker-compose (`config` parses and interpolates without a Docker engine), the Dockerfiles through
// a Dockerfile parser and linter. Then the containers' commands (setup job, worker, API, health
// checks, Temporal's namespace job, MySQL's init script) run here, taken from those files, against
// the real MariaDB and Temporal. Temporal's schema job needs temporal-sql-tool and MySQL 8, which
// only the admin-tools image has: its commands are checked as the tool receives them.

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
  profiles?: string[];
  stop_grace_period?: string;
  volumes?: string[];
  working_dir?: string;
}
type Compose = { services: Record<string, ComposeService> };

const SERVICES = ['api', 'codec', 'mysql', 'setup', 'temporal', 'temporal-namespace', 'temporal-schema', 'temporal-ui', 'worker'];
const ECGFLOW_SERVICES = ['setup', 'worker', 'api', 'codec'];
const ONE_SHOT = ['temporal-schema', 'temporal-namespace', 'setup'];
const LONG_RUNNING = ['mysql', 'temporal', 'temporal-ui', 'worker', 'api', 'codec'];
const ADMIN_TOOLS_JOBS = ['temporal-schema', 'temporal-namespace'];

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

/** The oldest Node major package.json's engines (`>=20.12`) accept. */
function minimumNodeMajor(): number {
  const engines = (JSON.parse(readFileSync(repo('package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  return Number(/^>=(\d+)/.exec(engines)![1]);
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

      // Node 22, the maintained LTS line, which package.json's engines accept (the tests may run on an older one).
      const nodeImage = dockerfile.getInitialARGs().find((a) => a.getProperty()?.getName() === 'NODE_IMAGE');
      expect(nodeImage?.getProperty()?.getValue()).toBe('node:22-bookworm-slim');
      expect(22).toBeGreaterThanOrEqual(minimumNodeMajor());
      // Every stage starts from that image or from an earlier stage.
      froms.forEach((from, i) => expect(['${NODE_IMAGE}', ...froms.slice(0, i).map((f) => f.getBuildStage())]).toContain(from.getImage()));

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

const PAYLOAD_KEYS = `k1:${Buffer.alloc(32, 7).toString('base64')}`;

const TEST_ENV = {
  MYSQL_PASSWORD: 'app-secret',
  MYSQL_ROOT_PASSWORD: 'root-secret',
  TEMPORAL_DB_PASSWORD: 'temporal-secret',
  MYSQL_DATABASE: 'ecg_prod',
  TEMPORAL_NAMESPACE: 'ecg-prod',
  ECGFLOW_TASK_QUEUE: 'ecg-queue',
  ECGFLOW_PAYLOAD_KEYS: PAYLOAD_KEYS,
  ECGFLOW_PAYLOAD_KEY_ID: 'k1',
  MYSQL_SSL: 'on',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318',
  LOG_MAX_SIZE: '20m',
  LOG_MAX_FILE: '3',
  API_PUBLISHED_PORT: '9080',
};

/** A compose duration (`30s`, `1m30s`, `1h`) in milliseconds. */
function durationMs(text: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)];
  expect(parts.map((p) => p[0]).join(''), `duration ${text}`).toBe(text);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * units[unit!]!, 0);
}

/** The worker's grace and the time compose waits before SIGKILL, from a parsed config. */
function shutdownTimes(config: Compose): { graceMs: number; stopMs: number } {
  const worker = config.services.worker!;
  return { graceMs: loadConfig(worker.environment!).ECGFLOW_WORKER_SHUTDOWN_GRACE_MS, stopMs: durationMs(worker.stop_grace_period!) };
}

describe.skipIf(!compose.available)(
  compose.available ? 'docker-compose.yml, as docker-compose config reads it' : `docker-compose.yml (skipped: ${compose.reason})`,
  () => {
    let dir: string;
    let config: Compose;
    const service = (name: string) => config.services[name]!;
    /** docker-compose config with these settings (written to an env file of their own). */
    const configWith = async (name: string, env: Record<string, string>) => {
      const envFile = path.join(dir, `${name}.env`);
      await writeFile(envFile, Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
      return composeConfig(envFile);
    };

    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'ecgflow-compose-'));
      const result = await configWith('test', TEST_ENV);
      expect(result.code, result.stderr).toBe(0);
      config = result.config!;
    });
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('declares MySQL 8, Temporal on MySQL with its schema and namespace jobs and UI, the setup job, the worker, the API and the codec', () => {
      expect(Object.keys(config.services).sort()).toEqual(SERVICES);
      expect(service('mysql').image).toMatch(/^mysql:8(\.|$)/);
      // The server image, not the deprecated auto-setup; the admin tools of the same release.
      const serverImage = /^temporalio\/server:(\d+\.\d+\.\d+)$/.exec(service('temporal').image!);
      expect(serverImage, service('temporal').image).not.toBeNull();
      for (const name of ADMIN_TOOLS_JOBS) expect(service(name).image, name).toBe(`temporalio/admin-tools:${serverImage![1]}`);
      expect(service('temporal').environment).toMatchObject({ DB: 'mysql8', MYSQL_SEEDS: 'mysql', DB_PORT: '3306', BIND_ON_IP: '0.0.0.0' });
      const dynamicConfig = service('temporal').environment!.DYNAMIC_CONFIG_FILE_PATH;
      expect(service('temporal').volumes).toEqual([`${repo('docker/temporal-dynamicconfig.yaml')}:${dynamicConfig}:ro`]);
      expect(parse(readFileSync(repo('docker/temporal-dynamicconfig.yaml'), 'utf8'))).toEqual({ 'limit.maxIDLength': [{ value: 255, constraints: {} }] });
      expect(service('temporal-ui').image).toMatch(/^temporalio\/ui:\d+\.\d+\.\d+$/);
      expect(service('temporal-ui').environment).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_DEFAULT_NAMESPACE: 'ecg-prod' });
      for (const name of ['setup', 'worker', 'codec']) expect(service(name).build, name).toEqual({ context: projectRoot, dockerfile: DOCKERFILES.worker });
      for (const name of ['setup', 'codec']) expect(service(name).image, name).toBe(service('worker').image);
      expect(service('api').build).toEqual({ context: projectRoot, dockerfile: DOCKERFILES.api });
    });

    it('runs in its containers exactly the commands the Dockerfiles and the tests below run', () => {
      for (const name of [...ECGFLOW_SERVICES, ...ADMIN_TOOLS_JOBS]) expect(service(name).command, name).toEqual(commandOf(name));
      expect(service('setup').command).toEqual(['sh', 'docker/setup.sh']);
      expect(service('temporal-schema').command).toEqual(['sh', 'docker/temporal-schema.sh']);
      expect(service('temporal-namespace').command).toEqual(['sh', 'docker/temporal-namespace.sh']);
      expect(service('codec').command).toEqual(['node', 'bin/ecgflow.mjs', 'codec-server']);
      expect(service('worker').command).toEqual(execForm(readDockerfile(DOCKERFILES.worker).only('CMD')[0]!));
      expect(service('api').command).toEqual(execForm(readDockerfile(DOCKERFILES.api).only('CMD')[0]!));
      // The admin-tools jobs run this repository's scripts, mounted read-only where their commands look.
      for (const name of ADMIN_TOOLS_JOBS) {
        expect(service(name).working_dir, name).toBe('/ecgflow');
        expect(service(name).volumes, name).toEqual([`${repo('docker')}:/ecgflow/docker:ro`]);
      }
    });

    it('gives Temporal a MySQL account of its own: never root, and no container but mysql holds the root password', () => {
      const temporal = service('temporal').environment!;
      expect(temporal).toMatchObject({ MYSQL_USER: 'temporal', MYSQL_PWD: 'temporal-secret' });
      expect(service('temporal-schema').environment).toMatchObject({ TEMPORAL_DB_HOST: 'mysql', TEMPORAL_DB_PORT: '3306', TEMPORAL_DB_USER: 'temporal', SQL_PASSWORD: 'temporal-secret' });
      for (const [name, s] of Object.entries(config.services)) {
        if (name === 'mysql') continue;
        expect(Object.values(s.environment ?? {}), name).not.toContain('root-secret');
        expect(s.environment?.MYSQL_USER, name).not.toBe('root');
      }
      // The mysql image makes both accounts on its first start: ecgflow's from MYSQL_USER, Temporal's
      // from the init script (run against the real MariaDB below).
      expect(service('mysql').environment).toMatchObject({ MYSQL_ROOT_PASSWORD: 'root-secret', MYSQL_USER: 'ecgflow', TEMPORAL_DB_PASSWORD: 'temporal-secret' });
      expect(service('mysql').volumes).toContain(`${repo('docker/mysql-init')}:/docker-entrypoint-initdb.d:ro`);
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

    it('stops a worker gracefully: its shutdown grace ends before compose gives up and kills it', async () => {
      expect(shutdownTimes(config)).toEqual({ graceMs: 20_000, stopMs: 30_000 });
      const longer = await configWith('grace', { ...TEST_ENV, ECGFLOW_WORKER_SHUTDOWN_GRACE_MS: '45000', ECGFLOW_WORKER_STOP_GRACE_PERIOD: '1m' });
      expect(longer.code, longer.stderr).toBe(0);
      const times = shutdownTimes(longer.config!);
      expect(times).toEqual({ graceMs: 45_000, stopMs: 60_000 });
      expect(times.graceMs).toBeLessThan(times.stopMs);
    });

    it('restarts the long-running services and runs the one-shot jobs once', () => {
      for (const name of LONG_RUNNING) expect(service(name).restart, name).toBe('unless-stopped');
      for (const name of ONE_SHOT) expect(service(name).restart, name).toBe('no');
    });

    it('logs every container to a size-limited json-file', () => {
      for (const name of SERVICES) {
        expect(service(name).logging, name).toEqual({ driver: 'json-file', options: { 'max-size': '20m', 'max-file': '3' } });
      }
    });

    it('orders start-up: MySQL, the schema job, Temporal, the namespace job, the setup job, then the worker and the API', () => {
      expect(service('mysql').healthcheck?.test.slice(0, 3)).toEqual(['CMD', 'mysqladmin', 'ping']);
      // The server image has no Temporal client: healthy once it listens; the namespace job gates the rest.
      expect(service('temporal').healthcheck?.test).toEqual(['CMD', 'nc', '-z', '127.0.0.1', '7233']);
      const healthy = { condition: 'service_healthy' };
      const completed = { condition: 'service_completed_successfully' };
      expect(service('temporal-schema').depends_on).toEqual({ mysql: healthy });
      expect(service('temporal').depends_on).toEqual({ 'temporal-schema': completed, mysql: healthy });
      expect(service('temporal-namespace').depends_on).toEqual({ temporal: healthy });
      expect(service('temporal-ui').depends_on).toEqual({ temporal: healthy });
      expect(service('setup').depends_on).toEqual({ mysql: healthy, 'temporal-namespace': completed });
      for (const name of ['worker', 'api']) {
        expect(service(name).depends_on, name).toEqual({ setup: completed, mysql: healthy, temporal: healthy });
        // Their health checks come from their images (HEALTHCHECK, checked above); none overrides them.
        expect(service(name).healthcheck, name).toBeUndefined();
      }
      // The codec needs neither MySQL nor Temporal, and not the worker image's health check.
      expect(service('codec').depends_on).toBeUndefined();
      expect(service('codec').healthcheck?.test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    });

    it('gives every ecgflow container a configuration that config/env.ts accepts, pointing at the services', () => {
      const mysqlEnv = service('mysql').environment!;
      expect(mysqlEnv).toMatchObject({ MYSQL_ROOT_PASSWORD: 'root-secret', MYSQL_PASSWORD: 'app-secret', MYSQL_DATABASE: 'ecg_prod' });
      expect(service('temporal-namespace').environment).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_NAMESPACE: 'ecg-prod', TEMPORAL_NAMESPACE_RETENTION: '7d' });
      for (const name of ECGFLOW_SERVICES) {
        const env = service(name).environment!;
        const settings = loadConfig(env);
        expect(settings.mysql, name).toMatchObject({ host: 'mysql', port: 3306, user: mysqlEnv.MYSQL_USER, password: 'app-secret', database: 'ecg_prod' });
        expect(settings, name).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_NAMESPACE: 'ecg-prod', ECGFLOW_TASK_QUEUE: 'ecg-queue' });
        expect(settings.temporal.security, name).toBe('plaintext');
        // The same payload keys in every process that reads or writes workflow payloads.
        expect(env, name).toMatchObject({ ECGFLOW_PAYLOAD_KEYS: PAYLOAD_KEYS, ECGFLOW_PAYLOAD_KEY_ID: 'k1' });
        // TLS to MySQL and traces reach every process; the CA file itself comes from an override file's volume.
        expect(env, name).toMatchObject({ MYSQL_SSL: 'on', MYSQL_SSL_CA: '', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' });
        expect(settings.OTEL_EXPORTER_OTLP_ENDPOINT, name).toBe('http://otel-collector:4318');
        expect(settings.mysql.tls?.security, name).toBe('tls');
      }
      // The codec container listens on 0.0.0.0 without a token in production: it may, since compose publishes it on the loopback only.
      expect(codecServerSettings(loadConfig(service('codec').environment!))).toMatchObject({ host: '0.0.0.0', port: 8089 });
      const api = loadConfig(service('api').environment!);
      expect(api).toMatchObject({ API_HOST: '0.0.0.0', API_PORT: 8080 });
      expect(service('api').ports).toEqual([{ published: 9080, target: 8080 }]);
    });

    it('publishes every port but the API on the loopback only, the codec behind an opt-in profile', () => {
      for (const [name, s] of Object.entries(config.services)) {
        if (name === 'api' || !s.ports) continue;
        for (const port of s.ports) expect(port, name).toMatch(/^127\.0\.0\.1:\d+:\d+\/tcp$/);
      }
      const codec = service('codec');
      expect(codec.profiles).toEqual(['codec']);
      for (const name of SERVICES.filter((n) => n !== 'codec')) expect(service(name).profiles, name).toBeUndefined();
      expect(codec.ports).toEqual(['127.0.0.1:8089:8089/tcp']);
      expect(loadConfig(codec.environment!)).toMatchObject({ ECGFLOW_CODEC_HOST: '0.0.0.0', ECGFLOW_CODEC_PORT: 8089 });
    });

    it('runs the Web UI read-only unless told, with the codec endpoint it is given', async () => {
      expect(service('temporal-ui').environment).toMatchObject({ TEMPORAL_DISABLE_WRITE_ACTIONS: 'true', TEMPORAL_CODEC_ENDPOINT: '' });
      const writable = await configWith('ui', { ...TEST_ENV, TEMPORAL_UI_WRITE_ACTIONS_DISABLED: 'false', TEMPORAL_CODEC_ENDPOINT: 'http://127.0.0.1:8089' });
      expect(writable.code, writable.stderr).toBe(0);
      expect(writable.config!.services['temporal-ui']!.environment).toMatchObject({ TEMPORAL_DISABLE_WRITE_ACTIONS: 'false', TEMPORAL_CODEC_ENDPOINT: 'http://127.0.0.1:8089' });
    });

    it('points at an external MySQL 8 and Temporal Cloud with the SDK\'s own settings', async () => {
      const external = await configWith('external', {
        ...TEST_ENV,
        DEPLOY_MYSQL_HOST: 'db.internal',
        DEPLOY_MYSQL_PORT: '3307',
        DEPLOY_TEMPORAL_ADDRESS: 'ecg-prod.a1b2c.tmprl.cloud:7233',
        TEMPORAL_NAMESPACE: 'ecg-prod.a1b2c',
        TEMPORAL_API_KEY: 'cloud-api-key',
      });
      expect(external.code, external.stderr).toBe(0);
      const services = external.config!.services;
      for (const name of ECGFLOW_SERVICES) {
        const settings = loadConfig(services[name]!.environment!);
        expect(settings.mysql, name).toMatchObject({ host: 'db.internal', port: 3307 });
        expect(settings.temporal, name).toMatchObject({ address: 'ecg-prod.a1b2c.tmprl.cloud:7233', namespace: 'ecg-prod.a1b2c', security: 'api-key' });
      }
      expect(services['temporal-namespace']!.environment).toMatchObject({ TEMPORAL_ADDRESS: 'ecg-prod.a1b2c.tmprl.cloud:7233', TEMPORAL_API_KEY: 'cloud-api-key' });
      expect(services.temporal!.environment).toMatchObject({ MYSQL_SEEDS: 'db.internal', DB_PORT: '3307' });
      expect(services['temporal-schema']!.environment).toMatchObject({ TEMPORAL_DB_HOST: 'db.internal', TEMPORAL_DB_PORT: '3307' });
    });

    it('refuses to run without the passwords, naming the missing setting', async () => {
      const empty = await configWith('empty', {});
      expect(empty.code).not.toBe(0);
      expect(empty.stderr).toMatch(/set (MYSQL_ROOT_PASSWORD|MYSQL_PASSWORD|TEMPORAL_DB_PASSWORD) in \.env/);
      const { TEMPORAL_DB_PASSWORD: _omitted, ...withoutTemporal } = TEST_ENV;
      const noTemporal = await configWith('no-temporal', withoutTemporal);
      expect(noTemporal.code).not.toBe(0);
      expect(noTemporal.stderr).toMatch(/set TEMPORAL_DB_PASSWORD in \.env/);
    });

    it('accepts .env.example as its .env, whose development addresses stay out of the containers', async () => {
      const result = await composeConfig(repo('.env.example'));
      expect(result.code, result.stderr).toBe(0);
      for (const name of ECGFLOW_SERVICES) {
        expect(result.config!.services[name]!.environment, name).toMatchObject({ MYSQL_HOST: 'mysql', TEMPORAL_ADDRESS: 'temporal:7233' });
      }
      expect(result.config!.services['temporal-ui']!.environment).toMatchObject({ TEMPORAL_DISABLE_WRITE_ACTIONS: 'true' });
      const times = shutdownTimes(result.config!);
      expect(times.graceMs).toBeLessThan(times.stopMs);
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
  // Only for its Temporal client; the setup job gets the empty database below.
  const s = useTestServices('compose-setup', { pipeline: { worker: false } });
  let env: Record<string, string>;

  beforeAll(async () => {
    const admin = createDb(base);
    await sql`create database ${sql.id(database)} character set utf8mb4 collate utf8mb4_unicode_ci`.execute(admin);
    await admin.destroy();
    await s.p.client.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    // A new namespace reaches every Temporal service's cache within seconds.
    await until(() => s.p.client.connection.operatorService.listSearchAttributes({ namespace }), (r) => !(r instanceof Error), 60);
    env = {
      MYSQL_HOST: base.host,
      MYSQL_PORT: String(base.port),
      MYSQL_USER: base.user,
      MYSQL_PASSWORD: base.password,
      MYSQL_DATABASE: database,
      TEMPORAL_NAMESPACE: namespace,
      ECGFLOW_TASK_QUEUE: s.p.taskQueue,
      // docker-compose.yml's defaults for the schedule, whatever this shell has set.
      ECGFLOW_SCHEDULE_AT: '02:00',
      ECGFLOW_SCHEDULE_TZ: 'UTC',
      ECGFLOW_AUTO_RETRAIN: 'false',
    };
  });
  afterAll(async () => {
    const p = s.started.p;
    if (p) {
      await deleteDailySchedule(new Client({ connection: p.client.connection, namespace }), 'ecgflow-daily').catch(() => undefined);
      await p.client.connection.operatorService.deleteNamespace({ namespace }).catch(() => undefined);
    }
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
    expect(lines[3]).toMatch(new RegExp(`^task queue ${s.p.taskQueue}, overlap BUFFER_ALL`));

    const db = createDb({ ...base, database });
    try {
      const tables = await sql<{ n: number }>`select count(*) as n from information_schema.tables where table_schema = ${database} and table_name in ('ecg', 'models', 'predictions', 'kysely_migration')`.execute(db);
      expect(Number(tables.rows[0]!.n)).toBe(4);
    } finally {
      await db.destroy();
    }
    const attributes = await s.p.client.connection.operatorService.listSearchAttributes({ namespace });
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

/**
 * A compose `environment` as the container gets it: `${NAME:-default}` and `${NAME:?message}`
 * resolved from `given` (nothing from this shell), so unset settings arrive empty as in compose.
 */
function composeEnvironment(service: string, given: Record<string, string> = {}): Record<string, string> {
  const raw = composeFile.services[service]!.environment!;
  return Object.fromEntries(
    Object.entries(raw).map(([key, value]) => {
      const reference = /^\$\{([A-Z0-9_]+)(?::([-?])(.*))?\}$/.exec(String(value));
      if (!reference) return [key, String(value)];
      const [, name, kind, rest] = reference;
      if (given[name!] !== undefined && given[name!] !== '') return [key, given[name!]!];
      if (kind === '?') throw new Error(`${service}: ${key} needs ${name} (${rest})`);
      return [key, kind === '-' ? rest! : ''];
    }),
  );
}

describe('the temporal-namespace job (docker/temporal-namespace.sh) on the real Temporal', () => {
  const namespace = `ecgflow-compose-ns-${randomBytes(4).toString('hex')}`;
  let client: Client;
  let env: Record<string, string>;

  beforeAll(async () => {
    const config = loadConfig();
    client = await connectClient(config);
    // As compose passes it (TEMPORAL_TLS, TEMPORAL_API_KEY… empty), aimed at this machine's Temporal.
    env = { ...composeEnvironment('temporal-namespace'), TEMPORAL_ADDRESS: config.temporal.address, TEMPORAL_NAMESPACE: namespace };
  });
  afterAll(async () => {
    await client?.connection.operatorService.deleteNamespace({ namespace }).catch(() => undefined);
    await client?.connection.close();
  });

  it('registers the namespace with its retention once it answers; run again, it finds it', async () => {
    expect(env).toMatchObject({ TEMPORAL_TLS: '', TEMPORAL_API_KEY: '', TEMPORAL_NAMESPACE_RETENTION: '7d' });
    const first = await runCommand(commandOf('temporal-namespace'), env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim()).toBe(`temporal-namespace: registered namespace ${namespace} (retention 7d)`);
    // It exits only once the namespace answers, so the setup job after it can use it at once.
    const described = await client.workflowService.describeNamespace({ namespace });
    expect(tsToMs(described.config!.workflowExecutionRetentionTtl!)).toBe(7 * 24 * 3600 * 1000);

    const again = await runCommand(commandOf('temporal-namespace'), env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe(`temporal-namespace: namespace ${namespace} already exists`);
  }, 90_000);

  it('fails, saying why, when no Temporal answers', async () => {
    const port = await freePort();
    const result = await runCommand(commandOf('temporal-namespace'), { ...env, TEMPORAL_ADDRESS: `127.0.0.1:${port}`, TEMPORAL_WAIT_ATTEMPTS: '2' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`temporal-namespace: Temporal at 127.0.0.1:${port} is not serving after 2 attempts`);
  }, 60_000);
});

// MariaDB's root, over the socket scripts/services.sh starts it on: what the mysql image's
// entrypoint gives its init scripts.
const rootSocket = path.join(loadConfig().ECGFLOW_DATA_DIR, 'mysql.sock');
const isolatedEnv = (env: Record<string, string>) => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), ...env });
const rootSql = async (statements: string) =>
  (await run('mariadb', ['--no-defaults', '--protocol=socket', `--socket=${rootSocket}`, '-uroot', '--batch', '--skip-column-names', '-e', statements], { env: isolatedEnv({}) })).stdout;
const rootAvailable = await rootSql('select 1').then(() => true, () => false);

describe.skipIf(!rootAvailable)(
  rootAvailable ? 'the mysql init script (docker/mysql-init/10-temporal.sh) on the real MariaDB' : `the mysql init script (skipped: no root login on ${rootSocket})`,
  () => {
    const base = loadConfig().mysql;
    const hex = randomBytes(4).toString('hex');
    const names = { user: `ecgflow_t_tu_${hex}`, database: `ecgflow_t_tdb_${hex}`, visibility: `ecgflow_t_tvis_${hex}` };
    // What a grant on the visibility database with an unescaped `_` would also cover.
    const lookalike = `ecgflow_t_tvisX${hex}`;
    let shims: string;

    /** Runs the script as the mysql entrypoint does, its `mysql` client on root's socket. */
    const initScript = (password: string, overrides: Record<string, string> = {}) =>
      run('sh', ['docker/mysql-init/10-temporal.sh'], {
        cwd: projectRoot,
        env: isolatedEnv({
          PATH: `${shims}:${process.env.PATH ?? '/usr/bin:/bin'}`,
          MYSQL_ROOT_PASSWORD: 'root-logs-in-by-socket-here',
          TEMPORAL_DB_PASSWORD: password,
          TEMPORAL_DB_USER: names.user,
          TEMPORAL_DB_NAME: names.database,
          TEMPORAL_VISIBILITY_DB_NAME: names.visibility,
          ...overrides,
        }),
      }).then(
        ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
        (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
      );
    /** Runs SQL as the account, over TCP like Temporal; resolves with the rows or the error message. */
    const asAccount = async (password: string, statement: string): Promise<unknown[] | string> => {
      const db = createDb({ ...base, user: names.user, password, database: names.database });
      try {
        return (await sql.raw(statement).execute(db)).rows;
      } catch (error) {
        return (error as Error).message;
      } finally {
        await db.destroy();
      }
    };

    beforeAll(async () => {
      shims = await mkdtemp(path.join(os.tmpdir(), 'ecgflow-mysql-init-'));
      await writeFile(path.join(shims, 'mysql'), `#!/bin/sh\nexec mariadb --no-defaults --socket='${rootSocket}' "$@"\n`);
      await chmod(path.join(shims, 'mysql'), 0o755);
      await rootSql(`create database ${lookalike}`);
    });
    afterAll(async () => {
      await rootSql(`drop user if exists '${names.user}'@'%'; drop database if exists ${names.database}; drop database if exists ${names.visibility}; drop database if exists ${lookalike}`).catch(() => undefined);
      if (shims) await rm(shims, { recursive: true, force: true });
    });

    it("makes Temporal's account, with rights on its two databases and nothing else", async () => {
      const password = `it's a \\ "pass" ${hex}`;
      const made = await initScript(password);
      expect(made.code, made.stderr).toBe(0);
      expect(made.stdout.trim()).toBe(`10-temporal.sh: account ${names.user} may use the databases ${names.database} and ${names.visibility}`);

      expect(await asAccount(password, 'create table probe (id int primary key)')).toEqual([]);
      expect(await asAccount(password, `create table ${names.visibility}.probe (id int primary key)`)).toEqual([]);
      const databases = (await asAccount(password, 'show databases')) as { Database: string }[];
      expect(databases.map((d) => d.Database).sort()).toEqual([names.database, names.visibility, 'information_schema'].sort());
      // Not ecgflow's database, not the look-alike an unescaped `_` would grant, no new database.
      expect(await asAccount(password, `show tables from ${base.database}`)).toMatch(/denied/i);
      expect(await asAccount(password, `create table ${lookalike}.probe (id int)`)).toMatch(/denied/i);
      expect(await asAccount(password, `create database ecgflow_t_tnew_${hex}`)).toMatch(/denied/i);
    });

    it('run again with a new password, changes only the password', async () => {
      const old = `it's a \\ "pass" ${hex}`;
      const renewed = `new\\'one-${hex}`;
      const again = await initScript(renewed);
      expect(again.code, again.stderr).toBe(0);
      expect(await asAccount(old, 'select 1 as ok')).toMatch(/denied/i);
      expect(await asAccount(renewed, 'select count(*) as n from probe')).toEqual([{ n: 0 }]);
    });

    it('refuses a name that is not a plain MySQL name', async () => {
      const bad = await initScript('whatever', { TEMPORAL_DB_USER: "x'; drop database mysql; --" });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('is not a plain MySQL name');
    });
  },
);

describe('the temporal-schema job (docker/temporal-schema.sh): the commands temporal-sql-tool receives', () => {
  // temporal-sql-tool ships only in the admin-tools image and needs MySQL 8 (the schemas use
  // MySQL-only indexes MariaDB refuses): a stand-in of that name records what the job asks of it.
  let bin: string;
  let log: string;
  const schemaJob = (env: Record<string, string>) =>
    runCommand(commandOf('temporal-schema'), { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, SQL_TOOL_LOG: log, SQL_TOOL_FAIL_ON: '', ...env });
  const recorded = async () => (await readFile(log, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);

  beforeAll(async () => {
    bin = await mkdtemp(path.join(os.tmpdir(), 'ecgflow-sql-tool-'));
    log = path.join(bin, 'calls.log');
    const tool = path.join(bin, 'temporal-sql-tool');
    await writeFile(tool, [
      '#!/bin/sh',
      `printf '%s|%s\\n' "$SQL_PASSWORD" "$*" >> "$SQL_TOOL_LOG"`,
      'if [ -n "$SQL_TOOL_FAIL_ON" ]; then case "$*" in *"$SQL_TOOL_FAIL_ON"*) exit 1 ;; esac; fi',
      '',
    ].join('\n'));
    await chmod(tool, 0o755);
  });
  afterAll(async () => {
    if (bin) await rm(bin, { recursive: true, force: true });
  });

  it('creates and migrates both MySQL 8 databases as the temporal account, its password in SQL_PASSWORD only', async () => {
    await rm(log, { force: true });
    const result = await schemaJob(composeEnvironment('temporal-schema', { TEMPORAL_DB_PASSWORD: 'temporal-secret' }));
    expect(result.code, result.stderr).toBe(0);
    const tool = 'temporal-secret|--plugin mysql8 --ep mysql -p 3306 -u temporal --db';
    expect(await recorded()).toEqual([
      `${tool} temporal create-database`,
      `${tool} temporal setup-schema -v 0.0`,
      `${tool} temporal update-schema -d /etc/temporal/schema/mysql/v8/temporal/versioned`,
      `${tool} temporal_visibility create-database`,
      `${tool} temporal_visibility setup-schema -v 0.0`,
      `${tool} temporal_visibility update-schema -d /etc/temporal/schema/mysql/v8/visibility/versioned`,
    ]);
    expect(result.stdout.trim().split('\n')).toEqual([
      'temporal-schema: database temporal is at the schema of /etc/temporal/schema/mysql/v8/temporal/versioned',
      'temporal-schema: database temporal_visibility is at the schema of /etc/temporal/schema/mysql/v8/visibility/versioned',
    ]);
  });

  it('stops at the first step that fails, and so does the server that waits for it', async () => {
    await rm(log, { force: true });
    const result = await schemaJob({ ...composeEnvironment('temporal-schema', { TEMPORAL_DB_PASSWORD: 'temporal-secret' }), SQL_TOOL_FAIL_ON: 'setup-schema' });
    expect(result.code).not.toBe(0);
    expect((await recorded()).map((line) => line.slice(line.indexOf('--db ') + '--db '.length))).toEqual(['temporal create-database', 'temporal setup-schema -v 0.0']);
    expect(composeFile.services.temporal!.depends_on).toMatchObject({ 'temporal-schema': { condition: 'service_completed_successfully' } });
  });

  it('refuses to run without the password', async () => {
    const result = await schemaJob({ ...composeEnvironment('temporal-schema', { TEMPORAL_DB_PASSWORD: 'x' }), SQL_PASSWORD: '' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('set TEMPORAL_DB_PASSWORD in .env');
  });
});

describe('the health checks of the worker and API images, on the real services', () => {
  const s = useTestServices('compose-health', { pipeline: { worker: false } });
  const children: ChildProcess[] = [];

  afterAll(async () => {
    await Promise.all(children.map(killHard));
  });

  it('worker: unhealthy before it polls, healthy while it polls, unhealthy once its process is gone', async () => {
    const check = () => runCommand(healthcheckOf('worker'), s.p.env);
    const host = os.hostname();
    const before = await check();
    expect(before.code).toBe(1);
    expect(before.stderr.trim()).toBe(`ecgflow: unhealthy: no worker on ${host} polls task queue ${s.p.taskQueue} in namespace ${s.p.config.TEMPORAL_NAMESPACE}`);

    const worker = await startCommand(commandOf('worker'), s.p.env, 'worker ready');
    children.push(worker);
    // Its first poll reaches Temporal just after it logs that it is ready.
    const healthy = await until(check, (r) => r.code === 0, 30);
    expect(healthy.code, healthy.stderr).toBe(0);
    expect(healthy.stdout.trim()).toBe(`healthy: ${worker.pid}@${host} polls task queue ${s.p.taskQueue}`);

    await killHard(worker);
    const gone = await check();
    expect(gone.code).toBe(1);
    expect(gone.stderr.trim()).toBe(`ecgflow: unhealthy: the worker process ${worker.pid} on ${host} that polled task queue ${s.p.taskQueue} is gone`);
  });

  it('api: healthy while GET /healthz answers, unhealthy once the API is gone', async () => {
    const port = await freePort();
    const env = { ...s.p.env, API_HOST: '127.0.0.1', API_PORT: String(port) };
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

