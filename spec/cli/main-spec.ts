import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runCli } from './cliHarness.js';

const MAIN = pathToFileURL(fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))).href;

/** Runs `rxbridge ARGS` in a fresh process and lists which of the heavy packages it loaded. */
function packagesLoadedBy(args: string[]): Promise<{ code: number; loaded: string[] }> {
  const probe = `
    import { createRequire } from 'node:module';
    import { PassThrough } from 'node:stream';
    const { main } = await import(${JSON.stringify(MAIN)});
    const sink = new PassThrough().resume();
    const code = await main(['node', 'rxbridge', ...${JSON.stringify(args)}], { stdin: process.stdin, stdout: sink, stderr: sink });
    const cache = Object.keys(createRequire(import.meta.url).cache);
    const loaded = ['rxjs', 'hdr-histogram-js', 'cli-progress'].filter((p) => cache.some((f) => f.includes('/node_modules/' + p + '/')));
    process.stdout.write(JSON.stringify({ code, loaded }));`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

describe('rxbridge (main)', () => {
  it('prints help listing its commands and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).to.equal(0);
    const help = r.stdout.toString();
    for (const command of ['info', 'copy', 'bench']) expect(help).to.match(new RegExp(`\\n  ${command} `));
  });

  it('prints the version of package.json with --version and exits 0', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await runCli(['--version']);
    expect(r.code).to.equal(0);
    expect(r.stdout.toString().trim()).to.equal(pkg.version);
  });

  it('exits 1 on an unknown command, with a hint', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain("unknown command 'frobnicate'");
    expect(r.stderr).to.contain('--help');
  });

  it('exits 1 on a missing argument and a bad option value', async () => {
    expect((await runCli(['copy', 'only-one'])).code).to.equal(1);
    const bad = await runCli(['bench', 'nbd://127.0.0.1:1/', '--qd', 'many']);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.match(/--qd <n>.*many.*whole number/);
  });

  it('exits 1 without a command, printing the usage', async () => {
    const r = await runCli([]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain('Usage: rxbridge');
  });

  describe('start-up: a command loads its implementation only when it runs', () => {
    it('--help loads neither RxJS, nor the HDR histogram, nor the progress bar (and `info` does load RxJS)', async () => {
      expect(await packagesLoadedBy(['--help'])).to.deep.equal({ code: 0, loaded: [] });
      // The probe sees what a command loads: info's implementation needs the NBD client.
      expect(await packagesLoadedBy(['info', 'nbd://127.0.0.1:1/'])).to.deep.equal({ code: 1, loaded: ['rxjs'] });
    });

    it('copy between two files loads neither the NBD client (RxJS) nor the progress bar', async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'rxbridge-startup-spec-'));
      try {
        await writeFile(path.join(dir, 'a'), 'some bytes');
        expect(await packagesLoadedBy(['copy', path.join(dir, 'a'), path.join(dir, 'b')])).to.deep.equal({ code: 0, loaded: [] });
        expect(await readFile(path.join(dir, 'b'), 'utf8')).to.equal('some bytes');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
