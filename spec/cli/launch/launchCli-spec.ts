import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cacheFileName } from '../../../src/cli/launch/launchCli.js';

/** Runs the built `bin/rxbridge.js` (npm install and npm run build make it) with extra environment. */
function runBin(args: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['bin/rxbridge.js', ...args], { env: { ...process.env, ...env }, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

describe('launchCli', () => {
  it('names a cache after the command and the bundle path', () => {
    expect(cacheFileName('/a/rxbridge.cjs', 'copy')).to.match(/^copy-[0-9a-f]{8}\.v8cache$/);
    expect(cacheFileName('/a/rxbridge.cjs', '--help')).to.match(/^other-[0-9a-f]{8}\.v8cache$/);
    expect(cacheFileName('/a/rxbridge.cjs', undefined)).to.match(/^other-/);
    expect(cacheFileName('/a/rxbridge.cjs', '../../x')).to.match(/^other-/);
    expect(cacheFileName('/a/rxbridge.cjs', 'copy')).to.equal(cacheFileName('/a/rxbridge.cjs', 'copy'));
    expect(cacheFileName('/b/rxbridge.cjs', 'copy')).not.to.equal(cacheFileName('/a/rxbridge.cjs', 'copy'));
  });

  describe('bin/rxbridge.js', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'rxb-launch-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('runs the bundle and writes a code cache for each command', async () => {
      const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
      const env = { NODE_COMPILE_CACHE: dir, NODE_DISABLE_COMPILE_CACHE: '' };
      expect((await runBin(['--version'], env)).stdout.trim()).to.equal(version);
      const written = readdirSync(path.join(dir, 'rxbridge'));
      expect(written).to.have.length(1);
      expect(written[0]).to.match(/^other-[0-9a-f]{8}\.v8cache$/);
      expect((await runBin(['--version'], env)).stdout.trim()).to.equal(version);
      const help = await runBin(['copy', '--help'], env);
      expect(help.stdout).to.contain('Usage: rxbridge copy');
      expect(readdirSync(path.join(dir, 'rxbridge')).sort()).to.have.length(2);
    });

    it('writes nothing with NODE_DISABLE_COMPILE_CACHE', async () => {
      await runBin(['--version'], { NODE_COMPILE_CACHE: dir, NODE_DISABLE_COMPILE_CACHE: '1' });
      expect(existsSync(path.join(dir, 'rxbridge'))).to.equal(false);
    });
  });
});
