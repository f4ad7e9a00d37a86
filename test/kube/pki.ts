import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ClientCertificate {
  certFile: string;
  keyFile: string;
  certPem: string;
  keyPem: string;
}

/** A throwaway certificate authority plus a kube-apiserver serving certificate for 127.0.0.1, held in memory. */
export interface Pki {
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  /**
   * Writes a client certificate and key into `dir` that the API server maps to user = CN,
   * groups = O (as kube-apiserver's x509 authenticator does).
   */
  mintClientCert(dir: string, user: string, groups?: string[]): ClientCertificate;
}

const REQ_CONFIG = '[req]\ndistinguished_name=dn\n[dn]\n[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash\n';
const SERVER_EXT = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n';
const CLIENT_EXT = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n';

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** `-subj` treats `/` and `+` as separators and `\` as escape. */
function rdn(value: string): string {
  return value.replace(/[\\/+]/g, (c) => `\\${c}`);
}

function newKey(dir: string, file: string): void {
  openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
}

/** Issues `<name>.crt`/`<name>.key` in `dir`, which must hold the CA's ca.crt and ca.key. */
function issue(dir: string, name: string, subject: string, extensions: string): { certFile: string; keyFile: string } {
  newKey(dir, `${name}.key`);
  openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', subject, '-config', 'req.cnf', '-out', `${name}.csr`]);
  writeFileSync(path.join(dir, `${name}.ext`), extensions);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
  rmSync(path.join(dir, `${name}.csr`));
  rmSync(path.join(dir, `${name}.ext`));
  return { certFile: path.join(dir, `${name}.crt`), keyFile: path.join(dir, `${name}.key`) };
}

/** Creates the CA and server certificate with the openssl CLI (EC P-256 keys: fast to generate); no files outlive the call. */
export function createPki(): Pki {
  const work = mkdtempSync(path.join(os.tmpdir(), 'hopscope-kube-pki-'));
  let caPem: string;
  let caKeyPem: string;
  let server: { certPem: string; keyPem: string };
  try {
    writeFileSync(path.join(work, 'req.cnf'), REQ_CONFIG);
    newKey(work, 'ca.key');
    openssl(work, ['req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=hopscope-test-ca', '-days', '2', '-config', 'req.cnf', '-extensions', 'ca', '-out', 'ca.crt']);
    const files = issue(work, 'apiserver', '/CN=kube-apiserver', SERVER_EXT);
    caPem = readFileSync(path.join(work, 'ca.crt'), 'utf8');
    caKeyPem = readFileSync(path.join(work, 'ca.key'), 'utf8');
    server = { certPem: readFileSync(files.certFile, 'utf8'), keyPem: readFileSync(files.keyFile, 'utf8') };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  let minted = 0;
  return {
    caPem,
    serverCertPem: server.certPem,
    serverKeyPem: server.keyPem,
    mintClientCert(dir, user, groups = []) {
      if (!existsSync(path.join(dir, 'ca.key'))) {
        writeFileSync(path.join(dir, 'req.cnf'), REQ_CONFIG);
        writeFileSync(path.join(dir, 'ca.crt'), caPem);
        writeFileSync(path.join(dir, 'ca.key'), caKeyPem, { mode: 0o600 });
      }
      const subject = [...groups.map((g) => `/O=${rdn(g)}`), `/CN=${rdn(user)}`].join('');
      const files = issue(dir, `client-${process.pid}-${++minted}`, subject, CLIENT_EXT);
      return { ...files, certPem: readFileSync(files.certFile, 'utf8'), keyPem: readFileSync(files.keyFile, 'utf8') };
    },
  };
}
