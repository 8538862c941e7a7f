import { isIP } from 'node:net';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { TLSConfig } from '@temporalio/client';
import type { TemporalSettings } from '../config/temporal';

// grpc-js, under @temporalio/client, reports every failed TLS handshake as "Failed to connect
// before the deadline", and a proxy's refusal of a client certificate as an HTTP status. A bare
// TLS handshake with the same settings tells which certificate is the problem.

const PROBE_TIMEOUT_MS = 3000;
/** TLS 1.3 servers refuse a client certificate after the handshake has completed on the client's side. */
const LATE_ALERT_MS = 300;

const UNTRUSTED_ISSUER = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

type ProbeOutcome = { handshake: 'done'; socket: TLSSocket; lateError?: Error } | { handshake: 'failed'; error: NodeJS.ErrnoException & { reason?: string } };

/** Why the TLS connection to Temporal failed, or undefined when TLS is not the problem (or cannot be told). */
export async function tlsProblemOf(settings: TemporalSettings, grpcReason: string): Promise<string | undefined> {
  const { host, port } = hostAndPort(settings.address);
  if (settings.security === 'plaintext') {
    const outcome = await probe({ host, port, rejectUnauthorized: false });
    if (outcome.handshake === 'failed') return undefined;
    outcome.socket.destroy();
    return 'the server speaks TLS but this client connects in plaintext: set TEMPORAL_TLS=true (and TEMPORAL_TLS_SERVER_CA_CERT_PATH for a private CA)';
  }
  const tls: TLSConfig = (typeof settings.connection.tls === 'object' && settings.connection.tls) || {};
  const servername = tls.serverNameOverride ?? (isIP(host) ? undefined : host);
  const outcome = await probe({
    host,
    port,
    servername,
    ca: tls.serverRootCACertificate ? Buffer.from(tls.serverRootCACertificate) : undefined,
    cert: tls.clientCertPair ? Buffer.from(tls.clientCertPair.crt) : undefined,
    key: tls.clientCertPair ? Buffer.from(tls.clientCertPair.key) : undefined,
  });
  if (outcome.handshake === 'failed') return handshakeProblem(outcome.error, settings, servername ?? host);
  outcome.socket.destroy();
  if (outcome.lateError) return clientCertificateRefused(settings, `TLS alert: ${outcome.lateError.message}`);
  // grpc-js says "HTTP status code 400"; the worker's Rust core says "with status: 400 Bad Request".
  const httpStatus = /HTTP status code (\d{3})|with status: (\d{3})/.exec(grpcReason)?.slice(1).find(Boolean);
  if (httpStatus && settings.connection.tls) {
    // nginx's ssl_verify_client completes the handshake, then answers 400 to a request without a valid client certificate.
    return clientCertificateRefused(settings, `it answered HTTP ${httpStatus} instead of gRPC after the TLS handshake, as nginx's ssl_verify_client does`);
  }
  if (outcome.socket.alpnProtocol !== 'h2') return `the TLS server does not offer HTTP/2 (ALPN), which gRPC needs: a proxy in front of Temporal must listen with http2`;
  return undefined;
}

function handshakeProblem(error: NodeJS.ErrnoException & { reason?: string }, settings: TemporalSettings, name: string): string | undefined {
  const code = error.code ?? '';
  if (['ECONNREFUSED', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT'].includes(code)) return undefined;
  if (UNTRUSTED_ISSUER.has(code)) {
    return `the server's certificate is not signed by a CA this client trusts (${code}): point TEMPORAL_TLS_SERVER_CA_CERT_PATH at the CA that signed it`;
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return `the server's certificate is outside its validity period (${code})`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the server's certificate is not issued for "${name}" (${error.reason ?? code}): set TEMPORAL_TLS_SERVER_NAME to a name it carries`;
  }
  if (/wrong version number|packet length too long|http request/i.test(error.message)) {
    return 'the server does not speak TLS (a plaintext port?): use its TLS port, or unset TEMPORAL_TLS and the TEMPORAL_TLS_* certificates';
  }
  if (/alert/i.test(error.message)) return clientCertificateRefused(settings, `TLS alert: ${error.message}`);
  return `the TLS handshake failed (${error.message})`;
}

function clientCertificateRefused(settings: TemporalSettings, how: string): string {
  return settings.security === 'mtls'
    ? `the server refused this client's certificate (${how}): TEMPORAL_TLS_CLIENT_CERT_PATH must be signed by a CA the server trusts, with its own TEMPORAL_TLS_CLIENT_KEY_PATH`
    : `the server requires a client certificate (mTLS) and this client presents none (${how}): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH`;
}

function probe(options: ConnectionOptions & { host: string; port: number }): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ ...options, ALPNProtocols: ['h2'] });
    let handshakeDone = false;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(handshakeDone ? { handshake: 'done', socket } : { handshake: 'failed', error: Object.assign(new Error('no TLS handshake within 3 s'), { code: 'ETIMEDOUT' }) });
    }, PROBE_TIMEOUT_MS);
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(handshakeDone ? { handshake: 'done', socket, lateError: error } : { handshake: 'failed', error });
    });
    socket.once('secureConnect', () => {
      handshakeDone = true;
      clearTimeout(timer);
      setTimeout(() => {
        socket.removeAllListeners('error');
        socket.on('error', () => undefined);
        resolve({ handshake: 'done', socket });
      }, LATE_ALERT_MS);
    });
  });
}

function hostAndPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(address.slice(at + 1)) };
}
