/**
 * Certificates made with `openssl` for the interop specs, in the folder
 * layout nbdkit-tls(1) and libnbd read from `--tls-certificates=DIR` /
 * `tls-certificates=DIR`: ca-cert.pem, server-cert.pem, server-key.pem,
 * client-cert.pem, client-key.pem (and the CA's key, ca-key.pem). EC P-256
 * keys (quick to make), a server certificate for 127.0.0.1 and localhost.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireTool } from './peers.js';

const run = promisify(execFile);

export interface CertificateDir {
  readonly dir: string;
  remove(): Promise<void>;
}

export async function makeOpensslCertificateDir(caName = 'rxbridge interop CA'): Promise<CertificateDir> {
  requireTool('openssl');
  const dir = await mkdtemp(join(tmpdir(), 'rxbridge-openssl-tls-'));
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  try {
    await openssl('req', '-x509', ...newKey, '-keyout', at('ca-key.pem'), '-out', at('ca-cert.pem'), '-days', '2', '-subj', `/CN=${caName}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    await writeFile(at('server.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');
    await writeFile(at('client.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
    for (const who of ['server', 'client']) {
      await openssl('req', ...newKey, '-keyout', at(`${who}-key.pem`), '-out', at(`${who}.csr`), '-subj', `/CN=${who === 'server' ? 'localhost' : 'rxbridge client'}`);
      await openssl('x509', '-req', '-in', at(`${who}.csr`), '-CA', at('ca-cert.pem'), '-CAkey', at('ca-key.pem'), '-CAcreateserial',
        '-out', at(`${who}-cert.pem`), '-days', '2', '-extfile', at(`${who}.ext`));
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
