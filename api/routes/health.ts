import { Type } from 'typebox';
import { sql } from 'kysely';
import type { ApiApp, ApiDeps } from '../types';

const Check = Type.Object({ ok: Type.Boolean(), error: Type.Optional(Type.String()) });

/** /healthz: the process answers. /readyz: MySQL and Temporal answer too. */
export async function healthRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {
  app.get('/healthz', { schema: { tags: ['health'], response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({ status: 'ok' as const }));

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        response: { 200: Type.Object({ status: Type.Literal('ready'), mysql: Check, temporal: Check }), 503: Type.Object({ status: Type.Literal('not ready'), mysql: Check, temporal: Check }) },
      },
    },
    async (_request, reply) => {
      const [mysql, temporal] = await Promise.all([
        check(() => sql`select 1`.execute(deps.db)),
        check(async () => (await deps.temporal()).workflowService.getSystemInfo({})),
      ]);
      if (mysql.ok && temporal.ok) return { status: 'ready' as const, mysql, temporal };
      return reply.status(503).send({ status: 'not ready' as const, mysql, temporal });
    },
  );
}

async function check(probe: () => Promise<unknown>): Promise<{ ok: boolean; error?: string }> {
  try {
    await Promise.race([probe(), new Promise((_, reject) => setTimeout(() => reject(new Error('timed out after 2 s')), 2000).unref())]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
