/**
 * The CLI's TLS flags: info, copy and bench against the emulator with TLS
 * required, and `rxbridge serve --tls-cert … --tls-key …` as a process.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { connectNbd } from '../../src/nbd/client/index.js';
import { serveNbd, type NbdServerHandle } from '../../src/nbd/server/serveNbd.js';
import { makeTestCertificates, writeCertificateDir, type TestCertificates } from '../helpers/testCertificates.js';
import { runCli } from './cliHarness.js';

const MiB = 1024 * 1024;

describe('rxbridge with TLS', function () {
  this.timeout(20_000);
  let certs: TestCertificates;
  let dir: string;
  let removeDir: () => Promise<void>;
  let server: NbdServerHandle;
  let port: number;
  const file = (name: string) => join(dir, name);

  before(async () => {
    certs = makeTestCertificates();
    ({ dir, remove: removeDir } = await writeCertificateDir(certs));
    server = await new Promise<NbdServerHandle>((resolve, reject) =>
      serveNbd({
        exports: [{ name: '', size: 4 * MiB }],
        tls: { key: certs.server.key, cert: certs.server.cert, ca: certs.ca, requestCert: true, require: true },
      }).subscribe({ next: resolve, error: reject }),
    );
    port = (server.address as { port: number }).port;
  });
  after(async () => {
    await server.close();
    await removeDir();
  });

  const clientFlags = () => ['--tls-ca', file('ca-cert.pem'), '--tls-cert', file('client-cert.pem'), '--tls-key', file('client-key.pem')];

  it('info reads an nbds:// URI with tls-certificates=DIR and says it used TLS', async () => {
    const text = await runCli(['info', `nbds://127.0.0.1:${port}/?tls-certificates=${encodeURIComponent(dir)}`]);
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout.toString()).to.match(/^protocol: newstyle-fixed with TLS, using structured replies/);
    const json = await runCli(['info', '--json', `nbd://127.0.0.1:${port}/`, '--tls', 'require', ...clientFlags()]);
    expect(json.code, json.stderr).to.equal(0);
    expect(JSON.parse(json.stdout.toString())).to.include({ TLS: true });
  });

  it('info tells what to do when the server requires TLS and the URI does not ask for it', async () => {
    const r = await runCli(['info', `nbd://127.0.0.1:${port}/`]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain('[NBD_SERVER_REQUIRES_TLS]').and.to.contain('nbds://');
  });

  it('info fails with RXB_TLS against a CA that did not sign the server certificate', async () => {
    const other = await writeCertificateDir(makeTestCertificates('another CA'));
    try {
      const r = await runCli(['info', `nbds://127.0.0.1:${port}/`, '--tls-ca', join(other.dir, 'ca-cert.pem')]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.contain('[RXB_TLS]');
    } finally {
      await other.remove();
    }
  });

  it('copy and bench take --tls-ca, --tls-cert and --tls-key', async () => {
    const data = randomBytes(MiB + 123);
    await writeFile(file('in.img'), data);
    const uri = `nbds://127.0.0.1:${port}/`;
    const copyIn = await runCli(['copy', file('in.img'), uri, ...clientFlags()]);
    expect(copyIn.code, copyIn.stderr).to.equal(0);
    const copyOut = await runCli(['copy', uri, file('out.img'), ...clientFlags()]);
    expect(copyOut.code, copyOut.stderr).to.equal(0);
    expect((await readFile(file('out.img'))).subarray(0, data.length).equals(data)).to.equal(true);
    const bench = await runCli(['bench', uri, '--json', '--size', '1M', '--bs', '64k', ...clientFlags()]);
    expect(bench.code, bench.stderr).to.equal(0);
  });

  it('--tls takes only prefer or require', async () => {
    const r = await runCli(['info', `nbd://127.0.0.1:${port}/`, '--tls', 'maybe']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/prefer, require/);
  });

  it('serve refuses half a TLS configuration', async () => {
    const keyless = await runCli(['serve', '--port', '0', '--tls-cert', file('server-cert.pem')]);
    expect(keyless.code).to.equal(1);
    expect(keyless.stderr).to.contain('--tls-key');
    const certless = await runCli(['serve', '--port', '0', '--tls-require']);
    expect(certless.code).to.equal(1);
    expect(certless.stderr).to.contain('--tls-cert');
  });

  it('serve --tls-cert --tls-key --tls-require serves nbds:// only', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/run.ts', 'serve', '--port', '0', '--size', '1M',
        '--tls-cert', file('server-cert.pem'), '--tls-key', file('server-key.pem'), '--tls-require'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const uri = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d) => {
          out += d;
          const m = /serving (\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
      });
      expect(uri).to.match(/^nbds:\/\/127\.0\.0\.1:\d+\/$/);
      const client = await firstValueFrom(connectNbd(uri, { tlsCa: file('ca-cert.pem') }));
      expect(client.info).to.include({ tls: true, size: BigInt(MiB) });
      await lastValueFrom(client.close(), { defaultValue: undefined });
      const plain = await firstValueFrom(connectNbd(uri.replace('nbds', 'nbd'))).then(() => undefined, (e) => e);
      expect(plain).to.have.property('code', 'NBD_SERVER_REQUIRES_TLS');
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    }
  });
});
