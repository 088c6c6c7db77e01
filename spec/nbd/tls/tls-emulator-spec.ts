/**
 * The rxbridge client against the device emulator over TLS, with
 * certificates made at spec time by spec/helpers/testCertificates.ts.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { connectNbd, listExports, type NbdClient, type NbdOptions } from '../../../src/nbd/client/index.js';
import type { NbdServerHandle, ServeNbdOptions } from '../../../src/nbd/server/serveNbd.js';
import { makeTestCertificates, writeCertificateDir, type TestCertificates } from '../../helpers/testCertificates.js';
import { portOf, startServer } from '../server/rawClient.js';

const MiB = 1024 * 1024;

async function connectError(uri: string, options: NbdOptions = {}): Promise<{ code?: string; reason?: string; message: string }> {
  return firstValueFrom(connectNbd(uri, options)).then(
    (client) => {
      client.destroy();
      throw new Error('connected, but should not have');
    },
    (err) => err,
  );
}

const close = (client: NbdClient) => lastValueFrom(client.close(), { defaultValue: undefined });

describe('NBD over TLS: the client against the emulator', function () {
  this.timeout(20_000);
  let certs: TestCertificates;
  let dir: string;
  let removeDir: () => Promise<void>;
  const servers: NbdServerHandle[] = [];

  before(async () => {
    certs = makeTestCertificates();
    ({ dir, remove: removeDir } = await writeCertificateDir(certs));
  });
  after(() => removeDir());
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  async function serve(tls: Partial<NonNullable<ServeNbdOptions['tls']>> | 'none', more: ServeNbdOptions = {}): Promise<NbdServerHandle> {
    const server = await startServer({
      exports: [{ name: '', size: 8 * MiB }, { name: 'other', size: MiB }],
      ...(tls === 'none' ? {} : { tls: { key: certs.server.key, cert: certs.server.cert, ...tls } }),
      ...more,
    });
    servers.push(server);
    return server;
  }
  const tlsUri = (server: NbdServerHandle, query = `tls-certificates=${encodeURIComponent(dir)}`) =>
    `nbds://127.0.0.1:${portOf(server)}/${query ? `?${query}` : ''}`;

  it('nbds:// with tls-certificates=DIR: TLS handshake, write/read round trip, block status, polite close', async () => {
    const server = await serve({ require: true, ca: certs.ca, requestCert: true });
    expect(server.uri).to.match(/^nbds:\/\//);
    const client = await firstValueFrom(connectNbd(tlsUri(server)));
    expect(client.info).to.include({ tls: true, size: BigInt(8 * MiB), structuredReplies: true });
    expect(client.info.baseAllocation).to.not.equal(undefined);

    const data = randomBytes(3 * MiB + 4093);
    await lastValueFrom(client.write(MiB, data), { defaultValue: undefined });
    const back = Buffer.alloc(data.length);
    await lastValueFrom(client.read(MiB, data.length, { into: back }), { defaultValue: undefined });
    expect(back.equals(data)).to.equal(true);
    await lastValueFrom(client.zero(5 * MiB, MiB), { defaultValue: undefined });
    await lastValueFrom(client.flush(), { defaultValue: undefined });

    const extents = await lastValueFrom(client.blockStatus(0, 8 * MiB).pipe(toArray()));
    expect(extents[0]).to.include({ offset: 0, hole: true });
    const covering = extents.find((e) => e.offset <= MiB && e.offset + e.length > MiB)!;
    expect(covering.hole).to.equal(false);
    expect(extents.reduce((n, e) => n + e.length, 0)).to.equal(8 * MiB);

    await close(client);
    expect(server.stats()).to.include({ accepted: 1, transmitting: 1, dropped: 0, errors: 0 });
  });

  it('takes the CA and client certificate from options, over two connections, reading through data events', async () => {
    const server = await serve({ require: true, ca: certs.ca, requestCert: true });
    const client = await firstValueFrom(
      connectNbd(tlsUri(server, ''), {
        tlsCa: join(dir, 'ca-cert.pem'),
        tlsCert: join(dir, 'client-cert.pem'),
        tlsKey: join(dir, 'client-key.pem'),
        connections: 2,
        receiveBufferBytes: 0,
      }),
    );
    const writes = Array.from({ length: 8 }, (_, i) => lastValueFrom(client.write(i * 256 * 1024, Buffer.alloc(256 * 1024, i + 1)), { defaultValue: undefined }));
    await Promise.all(writes);
    for (let i = 0; i < 8; i++) {
      const chunk = await firstValueFrom(client.read(i * 256 * 1024, 256 * 1024));
      expect(chunk.every((b) => b === i + 1)).to.equal(true);
    }
    expect(client.stats()).to.have.length(2);
    await close(client);
    expect(server.stats()).to.include({ accepted: 2, dropped: 0 });
  });

  it('nbds+unix:// over a unix socket', async () => {
    const socketDir = await mkdtemp(join(tmpdir(), 'rxbridge-tls-unix-'));
    try {
      const path = join(socketDir, 'nbd.sock');
      await serve({ require: true }, { path });
      const client = await firstValueFrom(connectNbd(`nbds+unix:///?socket=${encodeURIComponent(path)}&tls-certificates=${encodeURIComponent(dir)}`));
      expect(client.info.tls).to.equal(true);
      await close(client);
    } finally {
      for (const s of servers.splice(0)) await s.close();
      await rm(socketDir, { recursive: true, force: true });
    }
  });

  it('lists exports over TLS', async () => {
    const server = await serve({ require: true });
    const exports = await lastValueFrom(listExports(tlsUri(server)).pipe(toArray()));
    expect(exports.map((e) => e.name)).to.deep.equal(['', 'other']);
  });

  it('fails with RXB_TLS when the server certificate does not chain to the CA, and sends nothing after STARTTLS', async () => {
    const server = await serve({ require: true });
    const other = await writeCertificateDir(makeTestCertificates('another CA'));
    try {
      const err = await connectError(tlsUri(server, `tls-certificates=${encodeURIComponent(other.dir)}`));
      expect(err).to.include({ code: 'RXB_TLS', reason: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
      expect(server.stats().transmitting).to.equal(0);
    } finally {
      await other.remove();
    }
  });

  it('fails with RXB_TLS when the certificate does not name tls-hostname; tls-verify-peer=0 accepts it', async () => {
    const server = await serve({ require: true });
    const wrongName = await connectError(tlsUri(server, `tls-certificates=${encodeURIComponent(dir)}&tls-hostname=disk.example`));
    expect(wrongName).to.include({ code: 'RXB_TLS', reason: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    const unverified = await firstValueFrom(connectNbd(tlsUri(server, 'tls-verify-peer=0')));
    expect(unverified.info.tls).to.equal(true);
    await close(unverified);
  });

  it('fails when the server asks for a client certificate and the client has none', async () => {
    const server = await serve({ require: true, ca: certs.ca, requestCert: true });
    const err = await connectError(tlsUri(server, ''), { tlsCa: join(dir, 'ca-cert.pem') });
    // TLS 1.3 finishes the client's side first: the server's refusal comes as an alert during the options.
    expect(err).to.include({ code: 'RXB_TLS', reason: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' });
    expect(server.stats().transmitting).to.equal(0);
  });

  it('tells a client that did not ask for TLS to use nbds:// when the server requires it (NBD_SERVER_REQUIRES_TLS)', async () => {
    const server = await serve({ require: true });
    const err = await connectError(`nbd://127.0.0.1:${portOf(server)}/`);
    expect(err.code).to.equal('NBD_SERVER_REQUIRES_TLS');
    expect(err.message).to.match(/nbds:\/\//);
    const listing = await lastValueFrom(listExports(`nbd://127.0.0.1:${portOf(server)}/`).pipe(toArray())).then(() => undefined, (e) => e);
    expect(listing).to.have.property('code', 'NBD_SERVER_REQUIRES_TLS');
    expect(server.stats().transmitting).to.equal(0);
  });

  it("tls: 'prefer' uses TLS when the server offers it, and plaintext when it has none", async () => {
    const optional = await serve({});
    const secure = await firstValueFrom(connectNbd(`nbd://127.0.0.1:${portOf(optional)}/`, { tls: 'prefer', tlsCa: join(dir, 'ca-cert.pem') }));
    expect(secure.info.tls).to.equal(true);
    await close(secure);
    const plainServer = await serve('none');
    const plain = await firstValueFrom(connectNbd(`nbd://127.0.0.1:${portOf(plainServer)}/`, { tls: 'prefer' }));
    expect(plain.info.tls).to.equal(false);
    await lastValueFrom(plain.write(0, Buffer.alloc(512, 1)), { defaultValue: undefined });
    await close(plain);
  });

  it('without require, the emulator serves plaintext clients and TLS clients side by side', async () => {
    const server = await serve({});
    const plain = await firstValueFrom(connectNbd(`nbd://127.0.0.1:${portOf(server)}/`));
    const secure = await firstValueFrom(connectNbd(tlsUri(server)));
    expect([plain.info.tls, secure.info.tls]).to.deep.equal([false, true]);
    await lastValueFrom(secure.write(0, Buffer.alloc(4096, 5)), { defaultValue: undefined });
    expect((await firstValueFrom(plain.read(0, 4096))).every((b) => b === 5)).to.equal(true);
    await Promise.all([close(plain), close(secure)]);
  });

  it('refuses nbds:// with tls: off before connecting', async () => {
    const err = await connectError('nbds://127.0.0.1:1/', { tls: 'off' });
    expect(err.code).to.equal('RXB_INVALID_ARGUMENT');
  });
});
