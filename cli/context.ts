import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import { loadConfig, type Config } from '../config/env';
import { connectClient } from '../client/connection';
import { shutdownTracing } from '../common/tracing';
import { createDb } from '../db/connect';
import type { Database } from '../db/database';

/** Lazily opened resources of one CLI invocation, closed once at exit. */
export class CliContext {
  readonly config: Config = loadConfig();
  private db?: Kysely<Database>;
  private client?: Client;

  database(): Kysely<Database> {
    this.db ??= createDb(this.config.mysql);
    return this.db;
  }

  async temporal(): Promise<Client> {
    this.client ??= await connectClient(this.config);
    return this.client;
  }

  async close(): Promise<void> {
    await this.db?.destroy();
    await this.client?.connection.close();
    // The command's spans (workflow starts, signals) wait in a batch; send them before the process exits.
    await shutdownTracing();
  }
}
