import { expect } from 'chai';
import { rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { resolveTls, type NbdTlsOptions } from '../../../src/nbd/client/tlsOptions.js';
import { parseNbdUri } from '../../../src/nbd/uri.js';
import { makeTestCertificates, writeCertificateDir, type TestCertificates } from '../../helpers/testCertificates.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('resolveTls', () => {
  let certs: TestCertificates;
  let dir: string;

  before(async () => {
    certs = makeTestCertificates();
    dir = (await writeCertificateDir(certs)).dir;
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const resolve = (uri: string, options: NbdTlsOptions = {}) => resolveTls(parseNbdUri(uri), options);

  it('takes the mode from the scheme: nbds:// requires TLS, nbd:// is off unless asked', () => {
    expect(resolve('nbds://h/').mode).to.equal('require');
    expect(resolve('nbds+unix:///?socket=/s').mode).to.equal('require');
    expect(resolve('nbd://h/').mode).to.equal('off');
    expect(resolve('nbd://h/', { tls: 'prefer' }).mode).to.equal('prefer');
    expect(resolve('nbd://h/', { tls: 'require' }).mode).to.equal('require');
  });

  it('refuses to weaken nbds://, and unknown modes', () => {
    expect(codeOf(() => resolve('nbds://h/', { tls: 'prefer' }))).to.equal('RXB_INVALID_ARGUMENT');
    expect(codeOf(() => resolve('nbds://h/', { tls: 'off' }))).to.equal('RXB_INVALID_ARGUMENT');
    expect(codeOf(() => resolve('nbd://h/', { tls: 'yes' as never }))).to.equal('RXB_INVALID_ARGUMENT');
  });

  it('reads ca-cert.pem, client-cert.pem and client-key.pem from tls-certificates=DIR', () => {
    const plan = resolve(`nbds://127.0.0.1:10809/?tls-certificates=${encodeURIComponent(dir)}`);
    expect(plan.connection.ca?.toString()).to.equal(certs.ca);
    expect(plan.connection.cert?.toString()).to.equal(certs.client.cert);
    expect(plan.connection.key?.toString()).to.equal(certs.client.key);
    expect(plan.connection.rejectUnauthorized).to.equal(true);
  });

  it('lets the options override the folder, and needs a key with a certificate', () => {
    const plan = resolve(`nbds://h/?tls-certificates=${dir}`, { tlsCa: join(dir, 'server-cert.pem') });
    expect(plan.connection.ca?.toString()).to.equal(certs.server.cert);
    expect(codeOf(() => resolve('nbds://h/', { tlsCert: join(dir, 'client-cert.pem') }))).to.equal('RXB_INVALID_ARGUMENT');
    expect(codeOf(() => resolve('nbds://h/', { tlsCa: join(dir, 'missing.pem') }))).to.equal('RXB_INVALID_ARGUMENT');
    expect(codeOf(() => resolve('nbds://h/?tls-certificates=/nonexistent/dir'))).to.equal('RXB_INVALID_ARGUMENT');
  });

  it('adds tlsExtraCaFile to the bundled roots when no CA is named, as NODE_EXTRA_CA_CERTS does', () => {
    const extra = join(dir, 'ca-cert.pem');
    const ca = resolve('nbds://h/', { tlsExtraCaFile: extra }).connection.ca as (string | Buffer)[];
    expect(ca).to.have.length(rootCertificates.length + 1);
    expect(ca.slice(0, -1)).to.deep.equal([...rootCertificates]);
    expect(ca.at(-1)!.toString()).to.equal(certs.ca);
    // A named CA replaces the default store, extra certificates included.
    expect(resolve(`nbds://h/?tls-certificates=${dir}`, { tlsExtraCaFile: join(dir, 'server-cert.pem') }).connection.ca?.toString()).to.equal(certs.ca);
    expect(resolve('nbds://h/', { tlsCa: extra, tlsExtraCaFile: join(dir, 'server-cert.pem') }).connection.ca?.toString()).to.equal(certs.ca);
    expect(resolve('nbds://h/').connection.ca).to.equal(undefined);
    expect(codeOf(() => resolve('nbds://h/', { tlsExtraCaFile: join(dir, 'missing.pem') }))).to.equal('RXB_INVALID_ARGUMENT');
    expect(codeOf(() => resolve('nbd://h/', { tlsExtraCaFile: join(dir, 'missing.pem') }))).to.equal(undefined);
  });

  it('checks the certificate against the host, sending SNI only for names', () => {
    expect(resolve('nbds://127.0.0.1/').connection).to.include({ host: '127.0.0.1', servername: undefined });
    expect(resolve('nbds://[::1]/').connection).to.include({ host: '::1', servername: undefined });
    expect(resolve('nbds://disk.example/').connection).to.include({ host: 'disk.example', servername: 'disk.example' });
    expect(resolve('nbds://127.0.0.1/?tls-hostname=nbd.example').connection).to.include({ host: 'nbd.example', servername: 'nbd.example' });
    expect(resolve('nbds://127.0.0.1/', { tlsServername: 'x.example' }).connection).to.include({ host: 'x.example' });
    expect(resolve('nbds+unix:///?socket=/s').connection).to.include({ host: 'localhost' });
  });

  it('turns verification off only when asked (tls-verify-peer=0 or tlsVerifyPeer: false)', () => {
    expect(resolve('nbds://h/?tls-verify-peer=0').connection.rejectUnauthorized).to.equal(false);
    expect(resolve('nbds://h/', { tlsVerifyPeer: false }).connection.rejectUnauthorized).to.equal(false);
    expect(resolve('nbds://h/?tls-verify-peer=1').connection.rejectUnauthorized).to.equal(true);
  });

  it('refuses PSK, and a folder with a client certificate but no key', async () => {
    expect(codeOf(() => resolve('nbds://h/?tls-type=psk'))).to.equal('RXB_UNSUPPORTED');
    expect(codeOf(() => resolve('nbds://h/?tls-psk-file=/k'))).to.equal('RXB_UNSUPPORTED');
    const lonely = await writeCertificateDir(certs);
    await unlink(join(lonely.dir, 'client-key.pem'));
    expect(codeOf(() => resolve(`nbds://h/?tls-certificates=${lonely.dir}`))).to.equal('RXB_INVALID_ARGUMENT');
    await lonely.remove();
  });

  it('reads nothing when TLS is off', () => {
    expect(resolve('nbd://h/', { tlsCa: '/nonexistent.pem' })).to.deep.equal({ mode: 'off', connection: {} });
  });
});
