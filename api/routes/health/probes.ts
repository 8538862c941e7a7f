import { Type } from 'typebox';
import { sql } from 'kysely';
import type { FastifyRequest } from 'fastify';
import type { ApiApp, ApiDeps } from '../../types';

const Check = Type.Object({ ok: Type.Boolean() });

/**
 * /healthz: the process answers. /readyz: MySQL and Temporal answer too. Both are public, so a
 * failure says only which dependency is down; the driver's words (hosts, user names) go to the log.
 */
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
    async (request, reply) => {
      const [mysql, temporal] = await Promise.all([
        check(request, 'mysql', () => sql`select 1`.execute(deps.db)),
        check(request, 'temporal', async () => (await deps.temporal()).workflowService.getSystemInfo({})),
      ]);
      if (mysql.ok && temporal.ok) return { status: 'ready' as const, mysql, temporal };
      return reply.status(503).send({ status: 'not ready' as const, mysql, temporal });
    },
  );
}

async function check(request: FastifyRequest, dependency: string, probe: () => Promise<unknown>): Promise<{ ok: boolean }> {
  try {
    await Promise.race([probe(), new Promise((_, reject) => setTimeout(() => reject(new Error('timed out after 2 s')), 2000).unref())]);
    return { ok: true };
  } catch (error) {
    request.log.warn({ err: error, dependency }, `readiness: ${dependency} did not answer`);
    return { ok: false };
  }
}
