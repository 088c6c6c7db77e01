/**
 * Runs the rxbridge CLI in-process with captured streams, and an NBD device
 * emulator (serveNbd) on 127.0.0.1:0 to run it against.
 */
import { PassThrough, Readable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { serveNbd, type NbdServerHandle } from '../../src/nbd/server/serveNbd.js';
import type { NbdExportOptions } from '../../src/nbd/server/exportTable.js';

export interface CliRun {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** `rxbridge ARGS…` with `stdin` fed from the given bytes (or nothing). */
export async function runCli(args: string[], stdinBytes?: Buffer): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  let err = '';
  // A copy: a PassThrough hands on the writer's own buffer, which the copier reuses once the write is done.
  stdout.on('data', (d: Buffer) => out.push(Buffer.from(d)));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const stdin = Readable.from(stdinBytes ? chunks(stdinBytes, 100_000) : []);
  const code = await main(['node', 'rxbridge', ...args], { stdin, stdout, stderr });
  return { code, stdout: Buffer.concat(out), stderr: err };
}

/** Cut in odd sizes, as a pipe would deliver them. */
function* chunks(bytes: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

export function startEmulator(exports: NbdExportOptions[]): Promise<NbdServerHandle> {
  return new Promise((resolve, reject) => {
    serveNbd({ exports }).subscribe({ next: resolve, error: reject });
  });
}

/** The URI of a named export on the emulator. */
export function exportUri(server: NbdServerHandle, name: string): string {
  return server.uri + encodeURIComponent(name);
}
