import type { Client } from '@temporalio/client';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { Kysely } from 'kysely';
import type { Config } from '../config/env';
import type { ApiRole, Database } from '../db/database';
import type { AuditChainSource } from './routes/audit/workbook/cover';
import type { Permission } from './plugins/roles';

export interface ApiDeps {
  db: Kysely<Database>;
  /** Connected lazily, so the API answers /healthz while Temporal is down. */
  temporal: () => Promise<Client>;
  config: Config;
  /** The audit chain's verifier, whose head and status the audit workbook's cover shows; without it the cover says "not yet verified". */
  auditChain?: AuditChainSource;
}

/** The app as routes see it: TypeBox schemas give validation, OpenAPI and request types at once. */
export type ApiApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Routes without one are public (health, metrics, the OpenAPI spec). */
    permission?: Permission;
  }
  interface FastifyRequest {
    apiKey: { id: number; role: ApiRole; name: string } | null;
  }
}
