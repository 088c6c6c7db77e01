/**
 * Loads a CommonJS file through `vm.Script` with a V8 code cache, so a
 * process that ran it before skips parsing and compiling what that run
 * compiled. Node.js 20 has no compile cache of its own for this (its
 * `module.enableCompileCache` came in 22), and a short command pays for it
 * on every start: most of `rxbridge info`'s own start-up is compiling the CLI.
 *
 * The cache is made after the run (`createCachedData` then holds every
 * function the run compiled, not only the top level), written once, and used
 * while it matches: a file whose key (the bundle's size and mtime, Node.js
 * version, architecture) differs, or whose data V8 rejects, is replaced at
 * the end of the run. Caching is best-effort: an unreadable, unwritable or
 * corrupt cache only costs the compile it would have saved.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import vm from 'node:vm';

/*
 * A cache file: the key's length (32-bit little-endian), the key, the SHA-256
 * of the data, the data. V8 checks its own version, flags and the source's
 * length, but not the data: a cache whose payload was damaged crashed the
 * process (a segmentation fault) on every start, hence the digest.
 */
const KEY_LENGTH_BYTES = 4;
const DIGEST_BYTES = 32;

export class CodeCachedScript {
  /** What the file assigned to `module.exports`. */
  readonly exports: unknown;
  /** The run started from a cache V8 accepted. */
  readonly fromCache: boolean;
  private readonly script: vm.Script;
  private readonly key: string;
  private saved = false;

  /**
   * Compiles and runs `file`.
   * @param cacheFile Where its code cache lives; undefined: no caching.
   */
  constructor(file: string, private readonly cacheFile: string | undefined) {
    const source = readFileSync(file, 'utf8');
    const key = cacheFile === undefined ? '' : cacheKey(file);
    const cachedData = cacheFile === undefined ? undefined : readCache(cacheFile, key);
    this.key = key;
    this.script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
      filename: file,
      cachedData,
      // The bundle's import() calls (if any) resolve like a module's would.
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    this.fromCache = cachedData !== undefined && !this.script.cachedDataRejected;
    const module = { exports: {} as unknown };
    const run = this.script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
    run.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
    this.exports = module.exports;
  }

  /**
   * Writes the code cache if the run did not start from one: call it when
   * the run has compiled what later runs will need. At most once.
   */
  saveCache(): void {
    if (this.saved || this.fromCache || this.cacheFile === undefined) return;
    this.saved = true;
    const key = Buffer.from(this.key, 'utf8');
    const length = Buffer.allocUnsafe(KEY_LENGTH_BYTES);
    length.writeUInt32LE(key.length, 0);
    const data = this.script.createCachedData();
    // Written aside, then renamed: a concurrent run reads the old file or the new one, never half of one.
    const partial = `${this.cacheFile}.${process.pid}.partial`;
    try {
      writeFileSync(partial, Buffer.concat([length, key, digest(data), data]), { mode: 0o600 });
      renameSync(partial, this.cacheFile);
    } catch {
      rmSync(partial, { force: true });
    }
  }
}

/** What a cache must have been made from to be used for `file` now. */
function cacheKey(file: string): string {
  const { size, mtimeMs } = statSync(file);
  return `${size}:${Math.trunc(mtimeMs)}:${process.version}:${process.arch}`;
}

function digest(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

/** The cached data, if the file holds one made under `key`, undamaged. */
function readCache(cacheFile: string, key: string): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  if (bytes.length < KEY_LENGTH_BYTES) return undefined;
  const keyEnd = KEY_LENGTH_BYTES + bytes.readUInt32LE(0);
  const dataStart = keyEnd + DIGEST_BYTES;
  if (dataStart > bytes.length || bytes.toString('utf8', KEY_LENGTH_BYTES, keyEnd) !== key) return undefined;
  const data = bytes.subarray(dataStart);
  return digest(data).equals(bytes.subarray(keyEnd, dataStart)) ? data : undefined;
}

/**
 * The directory for code caches, created if needed, or undefined when
 * caching is off: `NODE_DISABLE_COMPILE_CACHE` set (Node.js's own switch),
 * or a directory that another user could write to (a planted cache would run
 * as this user's code). `NODE_COMPILE_CACHE` moves it, as it moves Node's.
 */
export function codeCacheDirectory(env: NodeJS.ProcessEnv, tmpdir: string): string | undefined {
  if (env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  const uid = process.getuid?.();
  const directory = env.NODE_COMPILE_CACHE ? `${env.NODE_COMPILE_CACHE}/rxbridge` : `${tmpdir}/rxbridge-compile-cache-${uid ?? 'user'}`;
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    const stats = statSync(directory);
    if (!stats.isDirectory() || (stats.mode & 0o022) !== 0) return undefined;
    if (uid !== undefined && stats.uid !== uid) return undefined;
    return directory;
  } catch {
    return undefined;
  }
}
