/**
 * What `rxbridge serve` does: the embedded NBD device emulator as a
 * standalone server, until SIGINT or SIGTERM. Loaded only when the command
 * runs (see ../serve.ts).
 */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from '../../core/errors.js';
import { serveNbd, type NbdServerHandle, type ServerTlsOptions } from '../../nbd/server/index.js';
import type { DeviceModel } from '../../device/model.js';
import { formatRate, parseRate } from '../../device/units.js';
import type { CliContext } from '../cliContext.js';

export interface ServeFlags {
  host: string;
  port: number;
  socket?: string;
  size: number;
  export: string;
  readOnly?: boolean;
  model: string;
  latency?: number;
  bandwidth?: string;
  parallel?: number;
  errorRate?: number;
  seed?: number;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsRequire?: boolean;
}

/** The emulator's TLS settings from the flags: none without --tls-cert. */
async function serverTls(flags: ServeFlags): Promise<ServerTlsOptions | undefined> {
  if (flags.tlsCert === undefined && flags.tlsKey === undefined) {
    if (flags.tlsCa !== undefined || flags.tlsRequire) throw new InvalidArgumentError('--tls-ca and --tls-require need --tls-cert and --tls-key');
    return undefined;
  }
  if (flags.tlsCert === undefined || flags.tlsKey === undefined) throw new InvalidArgumentError('TLS needs both --tls-cert and --tls-key');
  const read = async (path: string, what: string) => {
    try {
      return await readFile(path);
    } catch (err) {
      throw new InvalidArgumentError(`cannot read the ${what} ${path}: ${(err as Error).message}`);
    }
  };
  return {
    cert: await read(flags.tlsCert, 'TLS certificate'),
    key: await read(flags.tlsKey, 'TLS key'),
    // A CA means: clients must present a certificate it signed.
    ...(flags.tlsCa !== undefined ? { ca: await read(flags.tlsCa, 'TLS CA'), requestCert: true } : {}),
    require: flags.tlsRequire === true,
  };
}

/** Serves the export until SIGINT or SIGTERM, then resolves with the exit code. */
export async function serve(context: CliContext, flags: ServeFlags): Promise<number> {
  const model: Partial<DeviceModel> & { base?: string } = { base: flags.model };
  if (flags.latency !== undefined) model.serviceTimeMs = { distribution: 'fixed', meanMs: flags.latency };
  if (flags.bandwidth !== undefined) model.readBytesPerSecond = model.writeBytesPerSecond = parseRate(flags.bandwidth);
  if (flags.parallel !== undefined) model.parallel = flags.parallel;
  if (flags.errorRate !== undefined) model.faults = { errorRate: { read: flags.errorRate, write: flags.errorRate } };
  if (flags.seed !== undefined) model.seed = flags.seed;
  const tls = await serverTls(flags);
  const server$ = serveNbd({
    tls,
    ...(flags.socket ? { path: flags.socket } : { host: flags.host, port: flags.port }),
    exports: [{ name: flags.export, size: flags.size, readOnly: flags.readOnly }],
    model,
  });
  // Serve until SIGINT/SIGTERM; the server closes when the subscription ends.
  await new Promise<void>((resolve, reject) => {
    let handle: NbdServerHandle | undefined;
    const subscription = server$.subscribe({
      next: (h) => {
        handle = h;
        const m = h.model;
        context.io.stdout.write(
          `serving ${h.uri} (${flags.size} bytes${flags.readOnly ? ', read-only' : ''}${tls ? (tls.require ? ', TLS required' : ', TLS offered') : ''}; device ${m.name}: ` +
          `${formatRate(m.readBytesPerSecond)} in, ${formatRate(m.writeBytesPerSecond)} out, ` +
          `${m.serviceTimeMs.meanMs} ms ${m.serviceTimeMs.distribution}, ${m.parallel} in parallel)\n`,
        );
      },
      error: reject,
      complete: resolve,
    });
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (handle) void handle.close().then(resolve, reject);
      else subscription.unsubscribe();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
