import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** PEM files of a throwaway certificate authority and what it signed, for the TLS tests' own servers. */
export interface TestCertificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A second, unrelated authority and a client certificate it signed: what a stranger would present. */
  strangerCaCert: string;
  strangerClientCert: string;
  strangerClientKey: string;
}

/**
 * Makes the certificates with the openssl command line (Debian's), so the servers under test
 * (nginx, MariaDB) and the clients read real X.509 files. The server certificate names
 * localhost and 127.0.0.1, which is where every TLS test connects.
 */
export function makeTestCertificates(label: string): TestCertificates {
  const dir = mkdtempSync(path.join(tmpdir(), `ecgflow-tls-${label}-`));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });

  const authority = (name: string) => {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', file(`${name}.key`), '-out', file(`${name}.crt`));
  };
  const signed = (name: string, ca: string, extensions: string) => {
    writeFileSync(file(`${name}.ext`), extensions);
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`));
    openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file(`${ca}.crt`), '-CAkey', file(`${ca}.key`), '-CAcreateserial', '-days', '2', '-extfile', file(`${name}.ext`), '-out', file(`${name}.crt`));
  };

  authority('test-ca');
  authority('stranger-ca');
  signed('server', 'test-ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  signed('client', 'test-ca', 'extendedKeyUsage=clientAuth\n');
  signed('stranger-client', 'stranger-ca', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    caCert: file('test-ca.crt'),
    serverCert: file('server.crt'),
    serverKey: file('server.key'),
    clientCert: file('client.crt'),
    clientKey: file('client.key'),
    strangerCaCert: file('stranger-ca.crt'),
    strangerClientCert: file('stranger-client.crt'),
    strangerClientKey: file('stranger-client.key'),
  };
}
