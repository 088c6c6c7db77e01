/**
 * bin/rxbridge, the command npm links: it keeps NODE_EXTRA_CA_CERTS from
 * Node's start-up and rxbridge trusts those certificates all the same when a
 * TLS connection names no CA. Runs the built CLI (npm install builds it).
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serveNbd, type NbdServerHandle } from '../../../src/nbd/server/serveNbd.js';
import { makeTestCertificates, writeCertificateDir, type TestCertificates } from '../../helpers/testCertificates.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `command args` with the spec's environment minus NODE_EXTRA_CA_CERTS, plus `env`. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const base = { ...process.env };
  delete base.NODE_EXTRA_CA_CERTS;
  delete base.RXBRIDGE_EXTRA_CA_CERTS;
  return new Promise((resolve) => {
    execFile(command, args, { env: { ...base, ...env }, timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

const MISSING_BUNDLE = { NODE_EXTRA_CA_CERTS: '/nonexistent/extra-ca.pem' };
const NODE_IGNORES = /Ignoring extra certs from `\/nonexistent\/extra-ca.pem`/;

describe('bin/rxbridge', function () {
  this.timeout(30_000);
  const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

  it('is the command package.json links', () => {
    const bin = (JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string> }).bin;
    expect(bin).to.deep.equal({ rxbridge: 'bin/rxbridge' });
  });

  it('keeps NODE_EXTRA_CA_CERTS from Node.js start-up (which parses it before any script runs)', async () => {
    // Node.js reads the bundle at start-up: a missing one draws its warning at once.
    const direct = await run(process.execPath, ['bin/rxbridge.js', '--version'], MISSING_BUNDLE);
    expect(direct.stderr).to.match(NODE_IGNORES);
    const launched = await run('bin/rxbridge', ['--version'], MISSING_BUNDLE);
    expect(launched).to.deep.equal({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('leaves the variable to Node.js when NODE_OPTIONS picks another default CA store', async () => {
    const launched = await run('bin/rxbridge', ['--version'], { ...MISSING_BUNDLE, NODE_OPTIONS: '--use-openssl-ca' });
    expect(launched.stdout).to.equal(`${version}\n`);
    expect(launched.stderr).to.match(NODE_IGNORES);
  });

  it('runs through a symbolic link, as npm installs it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rxb-bin-'));
    try {
      symlinkSync(path.resolve('bin/rxbridge'), path.join(dir, 'rxbridge'));
      expect(await run(path.join(dir, 'rxbridge'), ['--version'])).to.deep.equal({ code: 0, stdout: `${version}\n`, stderr: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('against a TLS server whose CA only NODE_EXTRA_CA_CERTS names', () => {
    let certs: TestCertificates;
    let dir: string;
    let removeDir: () => Promise<void>;
    let server: NbdServerHandle;
    let uri: string;

    before(async () => {
      certs = makeTestCertificates();
      ({ dir, remove: removeDir } = await writeCertificateDir(certs));
      server = await new Promise<NbdServerHandle>((resolve, reject) =>
        serveNbd({ exports: [{ name: '', size: 1 << 20 }], tls: { key: certs.server.key, cert: certs.server.cert, require: true } }).subscribe({
          next: resolve,
          error: reject,
        }),
      );
      uri = `nbds://127.0.0.1:${(server.address as { port: number }).port}/`;
    });
    after(async () => {
      await server?.close();
      await removeDir?.();
    });

    it('trusts the bundle as Node.js would: info connects with it and fails without it', async () => {
      const bundle = { NODE_EXTRA_CA_CERTS: path.join(dir, 'ca-cert.pem') };
      const launched = await run('bin/rxbridge', ['info', uri], bundle);
      expect(launched.code, launched.stderr).to.equal(0);
      expect(launched.stdout).to.match(/with TLS/);
      const direct = await run(process.execPath, ['bin/rxbridge.js', 'info', uri], bundle);
      expect(direct.code, direct.stderr).to.equal(0);
      const without = await run('bin/rxbridge', ['info', uri]);
      expect(without.code).to.equal(1);
      expect(without.stderr).to.match(/RXB_TLS/);
    });

    it('says which file it could not read', async () => {
      const launched = await run('bin/rxbridge', ['info', uri], MISSING_BUNDLE);
      expect(launched.code).to.equal(1);
      expect(launched.stderr).to.contain('/nonexistent/extra-ca.pem');
    });
  });
});
