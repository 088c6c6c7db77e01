/**
 * `rxbridge serve`: the embedded NBD device emulator as a standalone server,
 * for any NBD client (nbdinfo, nbdcopy, fio, qemu, the kernel's nbd-client).
 * The work is in serve/serveCommand.ts, loaded when the command runs.
 */
import type { Command } from 'commander';
import { PRESETS } from '../device/model.js';
import { action, type CliContext, type RegisterCommand } from './cliContext.js';
import { durationOption, integerOption, sizeOption } from './options.js';
import type { ServeFlags } from './serve/serveCommand.js';

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
      const { serve } = await import('./serve/serveCommand.js');
      return serve(context, flags);
    }));
};
