/**
 * `rxbridge serve`: the embedded NBD device emulator as a standalone server,
 * for any NBD client (nbdinfo, nbdcopy, fio, qemu, the kernel's nbd-client).
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { InvalidArgumentError } from '../core/errors.js';

import { serveNbd, type NbdServerHandle, type ServerTlsOptions } from '../nbd/server/index.js';
import { PRESETS, type DeviceModel } from '../device/model.js';
import { formatRate, parseRate } from '../device/units.js';
import { action, type CliContext, type RegisterCommand } from './cliContext.js';
import { durationOption, integerOption, sizeOption } from './options.js';

interface ServeFlags {
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

export const registerServe: RegisterCommand = (program: Command, context: CliContext) => {
  program
    .command('serve')
    .description('serve a sparse in-memory NBD export shaped by a device model (link bandwidth, service time, parallelism, faults)')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'TCP port (0: any free port)', integerOption(0), 10809)
    .option('--socket <path>', 'listen on a Unix socket instead of TCP')
    .option('--size <size>', 'export size, e.g. 1G', sizeOption, 1024 * 1024 * 1024)
    .option('--export <name>', 'export name', '')
    .option('--read-only', 'refuse writes')
    .option('--model <preset>', `device preset: ${Object.keys(PRESETS).join(', ')}`, 'unlimited')
    .option('--latency <duration>', 'service time per operation, e.g. 0.5ms (overrides the preset)', durationOption)
    .option('--bandwidth <rate>', "link bandwidth each way, e.g. 110MB/s, 1Gbit, unlimited (overrides the preset)")
    .option('--parallel <n>', 'operations in service at once (overrides the preset)', integerOption(1))
    .option('--error-rate <fraction>', 'fail this fraction of reads and writes with EIO (0..1)', Number)
    .option('--seed <n>', 'seed of the service-time and fault draws', integerOption(0))
    .option('--tls-cert <file>', 'accept NBD_OPT_STARTTLS with this certificate (PEM; needs --tls-key)')
    .option('--tls-key <file>', "the certificate's private key (PEM)")
    .option('--tls-ca <file>', 'ask clients for a certificate signed by this CA (PEM), refuse the others')
    .option('--tls-require', 'serve nothing before STARTTLS (NBD_REP_ERR_TLS_REQD): no plaintext clients')
    .action(action(context, 'serve', async (flags: ServeFlags) => {
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
    }));
};

