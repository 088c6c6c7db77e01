/**
 * `rxbridge copy SRC DST`: like nbdcopy, between NBD exports, local files
 * and `-` (stdin / stdout), with `requests` requests of `request-size` bytes
 * in flight. The work is in copy/copyCommand.ts, loaded when the command runs.
 */
import type { Command } from 'commander';
import { action, type CliContext, type RegisterCommand } from './cliContext.js';
import type { CopyCliOptions } from './copy/copyCommand.js';
import { addTlsOptions } from './nbdOptions.js';
import { integerOption, sizeOption } from './options.js';

export const registerCopy: RegisterCommand = (program: Command, context: CliContext) => {
  addTlsOptions(program.command('copy'))
    .description('copy between NBD exports, files and - (stdin/stdout), like nbdcopy')
    .argument('<src>', 'nbd://… URI, a file, or - for stdin')
    .argument('<dst>', 'nbd://… URI, a file (created or truncated), - for stdout, or null:')
    .option('-p, --progress', 'show progress on stderr')
    .option('-C, --connections <n>', 'NBD connections per export (needs multi-conn)', integerOption(1), 1)
    .option('-R, --requests <n>', 'requests in flight', integerOption(1), 64)
    .option('--request-size <bytes>', 'bytes per request, e.g. 256k', sizeOption, 256 * 1024)
    .option('--flush', 'flush the destination at the end')
    .action(action(context, 'copy', async (src: string, dst: string, options: CopyCliOptions) => {
      const { copy } = await import('./copy/copyCommand.js');
      return copy(context, src, dst, options);
    }));
};
