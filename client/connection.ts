import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config/env';
import type { TemporalSettings } from '../config/temporal';
import { dataConverterFor } from './data-converter';
import { tlsProblemOf } from './tls-diagnosis';
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
    throw await unreachable(config.temporal, error);
  }
  return clientOn(connection, config);
}

/** The error to show when a connection to Temporal (a client's or the worker's native one) failed. */
export async function unreachable(settings: TemporalSettings, error: unknown): Promise<TemporalUnreachableError> {
  return new TemporalUnreachableError(await unreachableMessage(settings, messageChain(error)));
}

/** Names the address, how the connection is secured and, when TLS is the problem, which certificate and setting. */
async function unreachableMessage(settings: TemporalSettings, reason: string): Promise<string> {
  const tlsProblem = await tlsProblemOf(settings, reason).catch(() => undefined);
  if (tlsProblem) return `cannot connect to Temporal at ${settings.address} over ${settings.security}: ${tlsProblem} (${reason})`;
  return (
    `Temporal is not reachable at ${settings.address} over ${settings.security} (${reason}); ` +
    (settings.security === 'plaintext' ? 'run ecgflow services up' : 'check TEMPORAL_TLS_* / TEMPORAL_API_KEY and that the server is up')
  );
}

/** grpc-js puts the useful part ("13 INTERNAL: Received HTTP status code 400") in the cause. */
function messageChain(error: unknown): string {
  const messages: string[] = [];
  for (let current = error; current instanceof Error && messages.length < 5; current = current.cause) {
    if (!messages.some((m) => m.includes(current.message))) messages.push(current.message);
  }
  return messages.join(': ') || String(error);
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
