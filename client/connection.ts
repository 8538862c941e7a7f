import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config/env';
import { dataConverterFor } from './data-converter';
import { clientInterceptorsFor } from './tracing';

export class TemporalUnreachableError extends Error {
  override name = 'TemporalUnreachableError';
}

/**
 * The one way this project's processes open a Temporal client: the connection settings of
 * config/temporal.ts (TLS, mTLS, API key), the payload codec and the tracing interceptors, so the
 * CLI, the API and the tests speak to the server exactly as the worker does.
 */
export async function connectClient(config: Config): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...config.temporal.connection, connectTimeout: '5s' });
  } catch (error) {
    throw new TemporalUnreachableError(
      `Temporal is not reachable at ${config.temporal.address} over ${config.temporal.security} (${(error as Error).message}); ` +
        (config.temporal.security === 'plaintext' ? 'run ecgflow services up' : 'check TEMPORAL_TLS_* / TEMPORAL_API_KEY and that the server is up'),
    );
  }
  return clientOn(connection, config);
}

/** A client over a connection opened elsewhere (the worker's, for the history archiver), with the same codec and interceptors. */
export function clientOn(connection: Connection | Client['connection'], config: Config): Client {
  return new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: dataConverterFor(config),
    interceptors: clientInterceptorsFor(config),
  });
}
