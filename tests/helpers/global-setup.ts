import { loadConfig } from '../../config/env';
import { createDb } from '../../db/connect';
import { sql } from 'kysely';

/** Fails the whole run early, with one clear line, when the real services are not up. */
export default async function setup(): Promise<void> {
  const config = loadConfig();
  const db = createDb(config.mysql);
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    throw new Error(
      `MariaDB is not reachable at ${config.mysql.host}:${config.mysql.port} (${(error as Error).message}); run scripts/services.sh up`,
    );
  } finally {
    await db.destroy();
  }
}
