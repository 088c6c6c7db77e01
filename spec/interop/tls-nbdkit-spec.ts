/**
 * TLS with real peers, certificates made by `openssl` (nbdkit-tls(1) layout):
 * the rxbridge client against `nbdkit --tls=require --tls-certificates=DIR`,
 * and libnbd's nbdinfo against the device emulator with TLS.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { connectNbd, type NbdOptions } from '../../src/nbd/client/index.js';
import { serveNbd, type NbdServerHandle, type ServeNbdOptions } from '../../src/nbd/server/serveNbd.js';
import { makeOpensslCertificateDir, type CertificateDir } from '../helpers/opensslCertificates.js';
import { requireTool, startNbdkit, type RunningPeer } from '../helpers/peers.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;

async function connectError(uri: string, options: NbdOptions = {}): Promise<{ code?: string }> {
  return firstValueFrom(connectNbd(uri, options)).then(
    (client) => {
      client.destroy();
      return { code: 'CONNECTED' };
    },
    (err) => err,
  );
}

describe('TLS interop', function () {
  this.timeout(60_000);
  let certs: CertificateDir;
  const certsQuery = () => `tls-certificates=${encodeURIComponent(certs.dir)}`;

  before(async () => {
    requireTool('openssl');
    certs = await makeOpensslCertificateDir();
  });
  after(() => certs?.remove());

  describe('the rxbridge client against nbdkit', () => {
    let nbdkit: RunningPeer | undefined;
    afterEach(async () => {
      await nbdkit?.stop();
      nbdkit = undefined;
    });

    const start = (tls: string, ...more: string[]) =>
      startNbdkit(['memory', '64M'], { extra: [`--tls=${tls}`, `--tls-certificates=${certs.dir}`, ...more] });

    it('nbds://…?tls-certificates=DIR against nbdkit --tls=require: write, read back, block status', async () => {
      nbdkit = await start('require');
      const client = await firstValueFrom(connectNbd(`nbds://127.0.0.1:${nbdkit.port}/?${certsQuery()}`));
      expect(client.info).to.include({ tls: true, size: BigInt(64 * MiB) });
      const data = randomBytes(2 * MiB + 511);
      await lastValueFrom(client.write(3 * MiB, data), { defaultValue: undefined });
      const back = await firstValueFrom(client.read(3 * MiB, data.length));
      expect(back.equals(data)).to.equal(true);
      const extents = await lastValueFrom(client.blockStatus(0, 8 * MiB).pipe(toArray()));
      expect(extents.length).to.be.above(0);
      await lastValueFrom(client.close(), { defaultValue: undefined });
      expect(nbdkit.stderr(), `nbdkit stderr: ${nbdkit.stderr()}`).to.not.match(/error/i);
    });

    it('presents the client certificate of the folder to nbdkit --tls-verify-peer; without one it is refused', async () => {
      nbdkit = await start('require', '--tls-verify-peer');
      const client = await firstValueFrom(connectNbd(`nbds://127.0.0.1:${nbdkit.port}/?${certsQuery()}`, { connections: 2 }));
      expect(client.info.tls).to.equal(true);
      await lastValueFrom(client.close(), { defaultValue: undefined });
      const err = await connectError(`nbds://127.0.0.1:${nbdkit.port}/`, { tlsCa: join(certs.dir, 'ca-cert.pem') });
      expect(err.code).to.be.oneOf(['RXB_TLS', 'RXB_CONNECTION_CLOSED']);
    });

    it('fails with NBD_SERVER_REQUIRES_TLS over nbd://, and with RXB_TLS against another CA', async () => {
      nbdkit = await start('require');
      expect((await connectError(`nbd://127.0.0.1:${nbdkit.port}/`)).code).to.equal('NBD_SERVER_REQUIRES_TLS');
      const other = await makeOpensslCertificateDir('another CA');
      try {
        const err = await connectError(`nbds://127.0.0.1:${nbdkit.port}/`, { tlsCa: join(other.dir, 'ca-cert.pem') });
        expect(err.code).to.equal('RXB_TLS');
      } finally {
        await other.remove();
      }
    });

    it("tls: 'prefer' on nbd:// upgrades with nbdkit --tls=on", async () => {
      nbdkit = await start('on');
      const client = await firstValueFrom(connectNbd(`nbd://127.0.0.1:${nbdkit.port}/?${certsQuery()}`, { tls: 'prefer' }));
      expect(client.info.tls).to.equal(true);
      await lastValueFrom(client.close(), { defaultValue: undefined });
    });
  });

  describe('nbdinfo against the device emulator', () => {
    let server: NbdServerHandle;

    async function serve(tls: Partial<NonNullable<ServeNbdOptions['tls']>>): Promise<number> {
      const key = await readFile(join(certs.dir, 'server-key.pem'));
      const cert = await readFile(join(certs.dir, 'server-cert.pem'));
      server = await new Promise<NbdServerHandle>((resolve, reject) =>
        serveNbd({ exports: [{ name: '', size: 16 * MiB, description: 'tls disk' }], tls: { key, cert, ...tls } }).subscribe({ next: resolve, error: reject }),
      );
      return (server.address as { port: number }).port;
    }
    afterEach(() => server?.close());

    it("nbdinfo 'nbds://127.0.0.1:PORT/?tls-certificates=DIR' sees the export over TLS", async () => {
      requireTool('nbdinfo');
      const port = await serve({ require: true });
      const { stdout } = await run('nbdinfo', ['--json', `nbds://127.0.0.1:${port}/?${certsQuery()}`]);
      const info = JSON.parse(stdout);
      expect(info).to.include({ TLS: true, protocol: 'newstyle-fixed' });
      expect(info.exports[0]).to.include({ 'export-size': 16 * MiB, description: 'tls disk' });
      expect(server.stats()).to.include({ dropped: 0 });
    });

    it('nbdinfo presents its client certificate when the emulator asks for one; plaintext is refused', async () => {
      requireTool('nbdinfo');
      const port = await serve({ require: true, ca: await readFile(join(certs.dir, 'ca-cert.pem')), requestCert: true });
      const { stdout } = await run('nbdinfo', ['--size', `nbds://127.0.0.1:${port}/?${certsQuery()}`]);
      expect(stdout.trim()).to.equal(String(16 * MiB));
      const plain = await run('nbdinfo', ['--size', `nbd://127.0.0.1:${port}/`]).then(() => undefined, (e) => e);
      expect(plain).to.have.property('code').that.is.not.equal(0);
    });
  });
});
