import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, chmodSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { CodeCachedScript, codeCacheDirectory } from '../../../src/cli/launch/codeCachedScript.js';

const MODULE = pathToFileURL(path.resolve('src/cli/launch/codeCachedScript.ts')).href;

/** Loads `file` with `cacheFile` in a new Node.js process, calls twice(1), saves the cache, and reports. */
function runInFreshProcess(file: string, cacheFile: string): Promise<{ fromCache: boolean; twice: number }> {
  const probe = `
    const { CodeCachedScript } = await import(${JSON.stringify(MODULE)});
    const script = new CodeCachedScript(${JSON.stringify(file)}, ${JSON.stringify(cacheFile)});
    const twice = script.exports.twice(1);
    script.saveCache();
    process.stdout.write(JSON.stringify({ fromCache: script.fromCache, twice }));`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

describe('CodeCachedScript', () => {
  let dir: string;
  let file: string;
  let cacheFile: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'rxb-codecache-'));
    file = path.join(dir, 'bundle.cjs');
    cacheFile = path.join(dir, 'bundle.v8cache');
    writeFileSync(file, [
      "const { join } = require('node:path');",
      'function twice(n) { return 2 * n; }',
      'module.exports = { twice, where: join(__dirname, "x"), file: __filename, self: exports === module.exports };',
    ].join('\n'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a CommonJS file with its own require, __filename and __dirname, and returns its exports', () => {
    const script = new CodeCachedScript(file, undefined);
    const exports = script.exports as { twice(n: number): number; where: string; file: string; self: boolean };
    expect(exports.twice(21)).to.equal(42);
    expect(exports.where).to.equal(path.join(dir, 'x'));
    expect(exports.file).to.equal(file);
    expect(exports.self).to.equal(true);
    expect(script.fromCache).to.equal(false);
  });

  // V8 keeps what a process compiled in memory and then ignores cached data
  // for the same source, so whether a cache is used is seen in fresh processes.
  it('writes a cache after the run, and the next process starts from it', async () => {
    const first = await runInFreshProcess(file, cacheFile);
    expect(first).to.deep.equal({ fromCache: false, twice: 2 });
    expect(statSync(cacheFile).size).to.be.greaterThan(0);
    expect(statSync(cacheFile).mode & 0o077).to.equal(0);
    const written = readFileSync(cacheFile);

    expect(await runInFreshProcess(file, cacheFile)).to.deep.equal({ fromCache: true, twice: 2 });
    expect(readFileSync(cacheFile).equals(written), 'a cache that was used is left as it is').to.equal(true);
  });

  it('ignores a cache made from another version of the file, and replaces it', async () => {
    await runInFreshProcess(file, cacheFile);
    writeFileSync(file, 'module.exports = { twice: (n) => n + n, changed: true };');
    expect(await runInFreshProcess(file, cacheFile)).to.deep.equal({ fromCache: false, twice: 2 });
    expect(await runInFreshProcess(file, cacheFile)).to.deep.equal({ fromCache: true, twice: 2 });
  });

  it('does not hand V8 a damaged cache (which would crash the process), and replaces it', async () => {
    await runInFreshProcess(file, cacheFile);
    const good = readFileSync(cacheFile);
    const damaged = Buffer.from(good);
    damaged.fill(0x5a, damaged.length - Math.floor((damaged.length - 4 - good.readUInt32LE(0) - 32) / 2));
    writeFileSync(cacheFile, damaged);
    expect(await runInFreshProcess(file, cacheFile)).to.deep.equal({ fromCache: false, twice: 2 });
    expect(await runInFreshProcess(file, cacheFile)).to.deep.equal({ fromCache: true, twice: 2 });
  });

  it('runs normally from a truncated cache file', () => {
    for (const bytes of [Buffer.alloc(2), Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3]), Buffer.alloc(40)]) {
      writeFileSync(cacheFile, bytes);
      const script = new CodeCachedScript(file, cacheFile);
      expect(script.fromCache).to.equal(false);
      expect((script.exports as { twice(n: number): number }).twice(3)).to.equal(6);
    }
  });

  it('leaves no cache file behind when the cache directory cannot be written', () => {
    const script = new CodeCachedScript(file, path.join(dir, 'missing', 'bundle.v8cache'));
    expect(() => script.saveCache()).not.to.throw();
    expect(existsSync(path.join(dir, 'missing'))).to.equal(false);
  });
});

describe('codeCacheDirectory', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'rxb-cachedir-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a private directory under the temporary directory by default', () => {
    const made = codeCacheDirectory({}, dir);
    expect(made).to.equal(path.join(dir, `rxbridge-compile-cache-${process.getuid!()}`));
    expect(statSync(made!).mode & 0o777).to.equal(0o700);
  });

  it('follows NODE_COMPILE_CACHE and is off with NODE_DISABLE_COMPILE_CACHE', () => {
    expect(codeCacheDirectory({ NODE_COMPILE_CACHE: path.join(dir, 'c') }, '/nonexistent')).to.equal(path.join(dir, 'c', 'rxbridge'));
    expect(codeCacheDirectory({ NODE_DISABLE_COMPILE_CACHE: '1' }, dir)).to.equal(undefined);
    expect(existsSync(path.join(dir, `rxbridge-compile-cache-${process.getuid!()}`))).to.equal(false);
  });

  it('refuses a directory that others can write to', () => {
    const shared = path.join(dir, `rxbridge-compile-cache-${process.getuid!()}`);
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    expect(codeCacheDirectory({}, dir)).to.equal(undefined);
  });

  it('is off when the directory cannot be made', () => {
    writeFileSync(path.join(dir, 'file'), '');
    expect(codeCacheDirectory({ NODE_COMPILE_CACHE: path.join(dir, 'file') }, dir)).to.equal(undefined);
  });
});
