import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestCertificates } from './tls-certs';
import { freePort } from './ports';
import { stopGracefully } from './processes';

export const NGINX = '/usr/sbin/nginx';

/** nginx terminating TLS in front of a plaintext gRPC server, as a self-hosted Temporal often is. */
export interface GrpcTlsProxy {
  /** Server certificate only: any client that trusts the CA. */
  tlsAddress: string;
  /** Mutual TLS: the client must also present a certificate the CA signed. */
  mtlsAddress: string;
  stop(): Promise<void>;
}


/**
 * Starts nginx as a child of the test (not a daemon), with its pid file, logs and temp files in a
 * directory of its own, so it needs no root, no system config and leaves nothing behind.
 */
export async function startGrpcTlsProxy(certs: TestCertificates, upstream: string): Promise<GrpcTlsProxy> {
  if (!existsSync(NGINX)) throw new Error(`nginx is not installed (${NGINX}): scripts/setup.sh installs Debian's nginx package`);
  const dir = mkdtempSync(path.join(tmpdir(), 'ecgflow-nginx-'));
  const [tlsPort, mtlsPort] = [await freePort(), await freePort()];
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(conf, grpcProxyConf({ dir, certs, upstream, tlsPort, mtlsPort }));
  mkdirSync(path.join(dir, 'temp'));
  const child = spawn(NGINX, ['-p', dir, '-e', path.join(dir, 'error.log'), '-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const stop = async () => {
    await stopGracefully(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all([untilListening(tlsPort, child), untilListening(mtlsPort, child)]);
  } catch (error) {
    const log = readFileSync(path.join(dir, 'error.log'), 'utf8');
    await stop();
    throw new Error(`nginx did not start: ${(error as Error).message}\n${stderr}${log}`);
  }
  return { tlsAddress: `127.0.0.1:${tlsPort}`, mtlsAddress: `127.0.0.1:${mtlsPort}`, stop };
}

function grpcProxyConf(o: { dir: string; certs: TestCertificates; upstream: string; tlsPort: number; mtlsPort: number }): string {
  const temp = (name: string) => path.join(o.dir, 'temp', name);
  const server = (port: number, mutual: boolean) => `
    server {
      # nginx 1.22 (Debian 12) turns HTTP/2 on in the listen directive.
      listen 127.0.0.1:${port} ssl http2;
      ssl_certificate ${o.certs.serverCert};
      ssl_certificate_key ${o.certs.serverKey};
      ${mutual ? `ssl_verify_client on;\n      ssl_client_certificate ${o.certs.caCert};` : ''}
      location / {
        grpc_pass grpc://${o.upstream};
      }
    }`;
  return `
worker_processes 1;
pid ${path.join(o.dir, 'nginx.pid')};
error_log ${path.join(o.dir, 'error.log')} warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${temp('client_body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
  # Workers long-poll for tasks for up to 70 s: the proxy must wait longer than that.
  grpc_read_timeout 120s;
  grpc_send_timeout 120s;
  client_body_timeout 120s;
  keepalive_timeout 300s;
  # A worker's connection carries every poll and completion: no GOAWAY after nginx's default 1000 requests.
  keepalive_requests 1000000;
  # Histories, payloads and gRPC metadata (API keys, tracing headers) are larger than nginx's defaults.
  client_max_body_size 0;
  large_client_header_buffers 8 64k;
  ${server(o.tlsPort, false)}
  ${server(o.mtlsPort, true)}
}
`;
}

function untilListening(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`nginx exited with ${child.exitCode}`));
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on 127.0.0.1:${port} after 10 s`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

