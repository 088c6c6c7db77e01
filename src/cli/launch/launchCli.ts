/**
 * What `bin/rxbridge.js` runs: the CLI bundle, loaded with a code cache of
 * its own for each command (a `copy` compiles other functions than an
 * `info`), and kept per bundle path, so two installs do not keep replacing
 * each other's caches.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodeCachedScript, codeCacheDirectory } from './codeCachedScript.js';

interface CliBundle {
  main(argv: string[]): Promise<number>;
}

/** Runs the bundled CLI on `argv` (as `process.argv`) and resolves with its exit code. */
export async function launchCli(bundle: string, argv: string[]): Promise<number> {
  const directory = codeCacheDirectory(process.env, tmpdir());
  const cli = new CodeCachedScript(bundle, directory === undefined ? undefined : join(directory, cacheFileName(bundle, argv[2])));
  const code = await (cli.exports as CliBundle).main(argv);
  cli.saveCache();
  return code;
}

/** `copy-1a2b3c4d.v8cache`: the command (anything else is `other`) and a hash of the bundle's path. */
export function cacheFileName(bundle: string, command: string | undefined): string {
  const name = command !== undefined && /^[a-z]{1,16}$/.test(command) ? command : 'other';
  return `${name}-${fnv1a(bundle).toString(16).padStart(8, '0')}.v8cache`;
}

/** 32-bit FNV-1a: a short, stable name for a path (not a security measure). */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}
