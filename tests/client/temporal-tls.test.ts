import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startHistoryArchive } from '../../client/archive';
import { connectClient, TemporalUnreachableError } from '../../client/connection';
import { loadConfig, type Config } from '../../config/env';
import { initTensorFlow, type TensorFlow } from '../../ml/tf/backend';
import { createPipelineWorker } from '../../workers/worker';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { rootCause } from '../helpers/failures';
import { startGrpcTlsProxy, type GrpcTlsProxy } from '../helpers/nginx';
import { killHard, runCli, spawnWorker } from '../helpers/processes';
import { makeTestCertificates, type TestCertificates } from '../helpers/tls-certs';

// A self-hosted Temporal is reached over TLS, often mutual, usually through a proxy that terminates
// it. nginx does that here, in front of the plaintext dev server; the client, the in-process worker,
// the CLI and a worker process all connect with the TEMPORAL_* settings alone, as in production.

const DEV_SERVER = '127.0.0.1:7233';

interface Pipeline {
  client: Client;
  config: Config;
  stop(): Promise<void>;
}

describe('Temporal over TLS and mTLS, through nginx terminating TLS in front of the server', { timeout: 60_000 }, () => {
  let certs: TestCertificates;
  let proxy: GrpcTlsProxy;
  let t: TestDatabase;
  let tf: { tf: TensorFlow; backend: string };
  const running: Array<() => Promise<void>> = [];
  let tlsEnv: Record<string, string>;
  let mtlsEnv: Record<string, string>;

  const envOf = (settings: Record<string, string>, taskQueue: string) => ({
    ...t.env,
    ECGFLOW_TASK_QUEUE: taskQueue,
    ECGFLOW_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
    ...settings,
  });
  const configOf = (settings: Record<string, string>, taskQueue = 'test-tls-unused') => loadConfig({ ...process.env, ...envOf(settings, taskQueue) });
  const uniqueQueue = (label: string) => `test-tls-${label}-${Date.now().toString(36)}`;

  /** What startTestPipeline does, with the proxy's settings: the project's own client and worker code paths. */
  async function startPipeline(settings: Record<string, string>, label: string): Promise<Pipeline> {
    const config = configOf(settings, uniqueQueue(label));
    const client = await connectClient(config);
    const workerConnection = await NativeConnection.connect(config.temporal.connection);
    const worker = await createPipelineWorker({
      connection: workerConnection,
      config,
      taskQueue: config.ECGFLOW_TASK_QUEUE,
      db: t.db,
      ...tf,
      workflowBundlePath: inject('workflowBundlePath'),
    });
    const run = worker.run();
    const stop = async () => {
      worker.shutdown();
      await run;
      await workerConnection.close();
      await client.connection.close();
    };
    running.push(stop);
    return { client, config, stop };
  }

  /**
   * Two workflows, each with activities on the worker: scoring with no model fails fast (and is
   * recorded in the audit trail), then the archiver reads that run's history back from Temporal
   * through the worker's connection and stores it in MySQL.
   */
  async function runWorkflowsThrough(client: Client, config: Config): Promise<void> {
    const scoring = client.workflow.execute('scoreBatch', {
      taskQueue: config.ECGFLOW_TASK_QUEUE,
      workflowId: `score-tls-${config.ECGFLOW_TASK_QUEUE}`,
      args: [{ date: '2026-03-01' }],
    });
    expect(rootCause(await scoring.catch((error: unknown) => error)).message).toMatch(/no model has been trained yet/);
    const archive = await startHistoryArchive(client, config);
    const result = await archive.result();
    expect(result.archived + result.alreadyArchived).toBeGreaterThanOrEqual(1);
    const archived = await t.db.selectFrom('workflow_histories').select('workflow_id').where('workflow_id', '=', `score-tls-${config.ECGFLOW_TASK_QUEUE}`).execute();
    expect(archived).toHaveLength(1);
  }

  const refusal = async (settings: Record<string, string>): Promise<string> => {
    const error = await connectClient(configOf(settings)).then(
      async (client) => {
        await client.connection.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TemporalUnreachableError);
    return (error as Error).message;
  };

  beforeAll(async () => {
    certs = makeTestCertificates('temporal');
    proxy = await startGrpcTlsProxy(certs, DEV_SERVER);
    // The name the server certificate carries; Node refuses to send an IP address as the TLS server name.
    tlsEnv = { TEMPORAL_ADDRESS: proxy.tlsAddress, TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert, TEMPORAL_TLS_SERVER_NAME: 'localhost' };
    mtlsEnv = { ...tlsEnv, TEMPORAL_ADDRESS: proxy.mtlsAddress, TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert, TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey };
    t = await createTestDatabase('temporal_tls');
    Runtime.install({ logger: new DefaultLogger('WARN') });
    tf = await initTensorFlow('wasm');
  });
  afterAll(async () => {
    for (const stop of running.reverse()) await stop().catch(() => undefined);
    await proxy?.stop();
    await t?.drop();
    if (certs) rmSync(certs.dir, { recursive: true, force: true });
  });

  it('runs workflows end to end over TLS: the client trusts the server through TEMPORAL_TLS_SERVER_CA_CERT_PATH', async () => {
    const p = await startPipeline(tlsEnv, 'tls');
    expect(p.config.temporal).toMatchObject({ address: proxy.tlsAddress, security: 'tls' });
    await runWorkflowsThrough(p.client, p.config);
    await p.stop();
  });

  it('runs workflows end to end over mTLS, and the CLI talks to Temporal through it too', async () => {
    const p = await startPipeline(mtlsEnv, 'mtls');
    expect(p.config.temporal).toMatchObject({ address: proxy.mtlsAddress, security: 'mtls' });
    await runWorkflowsThrough(p.client, p.config);
    // `ecgflow audit archive` starts the archiver on the task queue and waits for its result: the in-process worker serves it.
    const cli = await runCli(envOf(mtlsEnv, p.config.ECGFLOW_TASK_QUEUE), ['audit', 'archive', '--json']);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    // The workflows above archived every closed run already.
    expect(JSON.parse(cli.stdout)).toMatchObject({ workflowId: expect.stringMatching(/^archive-histories-/), archived: 0, unarchivableCount: 0 });
  });

  it('a worker process started with the mTLS settings gets ready and runs the workflows', async () => {
    const queue = uniqueQueue('process');
    let child: ChildProcess | undefined = await spawnWorker(envOf(mtlsEnv, queue));
    running.push(async () => {
      if (child) await killHard(child);
      child = undefined;
    });
    const config = configOf(mtlsEnv, queue);
    const client = await connectClient(config);
    try {
      await runWorkflowsThrough(client, config);
    } finally {
      await client.connection.close();
    }
  });

  it('refuses a client without a client certificate on the mTLS port, and says so', async () => {
    const message = await refusal({ ...tlsEnv, TEMPORAL_ADDRESS: proxy.mtlsAddress });
    expect(message).toContain(proxy.mtlsAddress);
    expect(message).toMatch(/the server requires a client certificate \(mTLS\) and this client presents none/);
    expect(message).toMatch(/set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH/);
  });

  it("refuses a stranger's client certificate (signed by another CA), and says which setting to fix", async () => {
    const message = await refusal({ ...mtlsEnv, TEMPORAL_TLS_CLIENT_CERT_PATH: certs.strangerClientCert, TEMPORAL_TLS_CLIENT_KEY_PATH: certs.strangerClientKey });
    expect(message).toContain(proxy.mtlsAddress);
    expect(message).toMatch(/the server refused this client's certificate/);
    expect(message).toMatch(/TEMPORAL_TLS_CLIENT_CERT_PATH must be signed by a CA the server trusts/);
  });

  it("refuses to talk to a server whose certificate the client's CA did not sign, and names the CA setting", async () => {
    const message = await refusal({ ...mtlsEnv, TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.strangerCaCert });
    expect(message).toContain(proxy.mtlsAddress);
    expect(message).toMatch(/the server's certificate is not signed by a CA this client trusts/);
    expect(message).toMatch(/point TEMPORAL_TLS_SERVER_CA_CERT_PATH at the CA that signed it/);
  });

  it('tells a plaintext client that the port speaks TLS, and a TLS client that the certificate does not carry its server name', async () => {
    // grpc-js waits out its connect timeout on both: run them side by side.
    const [plaintext, wrongName] = await Promise.all([
      refusal({ TEMPORAL_ADDRESS: proxy.tlsAddress }),
      refusal({ ...tlsEnv, TEMPORAL_TLS_SERVER_NAME: 'temporal.example' }),
    ]);
    expect(plaintext).toMatch(new RegExp(`^cannot connect to Temporal at ${proxy.tlsAddress} over plaintext: the server speaks TLS.*set TEMPORAL_TLS=true`));
    expect(wrongName).toMatch(/the server's certificate is not issued for "temporal\.example".*set TEMPORAL_TLS_SERVER_NAME to a name it carries/);
  });

  it('the CLI refused on the mTLS port exits 1 with the same one-line explanation', async () => {
    const cli = await runCli(envOf({ ...tlsEnv, TEMPORAL_ADDRESS: proxy.mtlsAddress }, uniqueQueue('cli-refused')), ['audit', 'archive']);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toBe('');
    expect(cli.stderr).toMatch(new RegExp(`^ecgflow: cannot connect to Temporal at ${proxy.mtlsAddress.replace(/\./g, '\\.')} over tls: the server requires a client certificate`));
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a worker process without a client certificate stops before it is ready, with the same explanation', async () => {
    const started = spawnWorker(envOf({ ...tlsEnv, TEMPORAL_ADDRESS: proxy.mtlsAddress }, uniqueQueue('worker-refused')));
    await expect(started).rejects.toThrow(/exited with 1 before it was ready[\s\S]*the server requires a client certificate \(mTLS\) and this client presents none/);
  });
});
