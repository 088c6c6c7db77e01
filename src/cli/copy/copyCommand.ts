/**
 * What `rxbridge copy` does: opens both ends, runs the copier, closes them
 * politely (or drops them after an error). The NBD end (and with it RxJS and
 * the client) is loaded only when an argument is an NBD URI.
 */
import { stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { InvalidArgumentError } from '../../core/errors.js';
import type { CliContext, CliIo } from '../cliContext.js';
import { endpointKind, type CopyDestination, type CopySource, type NbdEndpointOptions } from './endpoints.js';
import { FileDestination, FileSource } from './fileEndpoint.js';
import { NullDestination, StreamDestination, StreamSource } from './streamEndpoint.js';
import { runCopy } from './copyPump.js';
import { createProgress } from '../progress.js';
import { tlsOptionsOf, type TlsCliFlags } from '../nbdOptions.js';

export interface CopyCliOptions extends TlsCliFlags {
  progress?: boolean;
  connections: number;
  /** Undefined: defaultRequests(). */
  requests?: number;
  requestSize: number;
  flush?: boolean;
}

async function openSource(spec: string, io: CliIo, nbd: NbdEndpointOptions): Promise<CopySource> {
  switch (endpointKind(spec)) {
    case 'stream':
      return new StreamSource('stdin', io.stdin);
    case 'null':
      throw new InvalidArgumentError('null: can only be a destination');
    case 'nbd':
      return (await import('./nbdEndpoint.js')).NbdSource.open(spec, nbd);
    case 'file':
      // Devices and pipes have no usable size: read them to their end.
      return (await stat(spec)).isFile() ? FileSource.open(spec) : new StreamSource(spec, createReadStream(spec, { highWaterMark: nbd.requestSize }));
  }
}

async function openDestination(spec: string, io: CliIo, nbd: NbdEndpointOptions): Promise<CopyDestination> {
  switch (endpointKind(spec)) {
    case 'stream':
      return new StreamDestination('stdout', io.stdout);
    case 'null':
      return new NullDestination();
    case 'nbd':
      return (await import('./nbdEndpoint.js')).NbdDestination.open(spec, nbd);
    case 'file':
      return FileDestination.open(spec);
  }
}

/** Requests in flight when `--requests` is not given (measured: see copy.ts). */
export function defaultRequests(src: string, dst: string): number {
  return endpointKind(src) === 'nbd' && endpointKind(dst) === 'file' ? 2 : 16;
}

export async function copy(context: CliContext, src: string, dst: string, options: CopyCliOptions): Promise<number> {
  const requests = options.requests ?? defaultRequests(src, dst);
  const nbd: NbdEndpointOptions = { connections: options.connections, requests, requestSize: options.requestSize, tls: tlsOptionsOf(options) };
  const source = await openSource(src, context.io, nbd);
  let destination: CopyDestination;
  try {
    destination = await openDestination(dst, context.io, nbd);
  } catch (err) {
    source.destroy();
    throw err;
  }
  const progress = createProgress(context.io, source.size, options.progress === true);
  try {
    await runCopy(source, destination, { requests, requestSize: options.requestSize, onProgress: (n) => progress.update(n) });
    if (options.flush) await destination.flush();
  } catch (err) {
    progress.stop();
    source.destroy();
    destination.destroy();
    throw err;
  }
  progress.stop();
  // Every lane has finished: nothing is in flight, so both ends close politely.
  await Promise.all([source.close(), destination.close()]);
  return 0;
}

