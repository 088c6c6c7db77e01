/**
 * `rxbridge bench URI --rw MODE --bs 4k --qd 32 [--time 10s | --size 1G] [--ramp-time 2s]`:
 * a fio-like benchmark of the NBD client: IOPS, MB/s, latency percentiles
 * from an HDR histogram, client CPU seconds per GB, peak RSS. The work is in
 * bench/benchCommand.ts, loaded when the command runs.
 */
import type { Command } from 'commander';
import { action, type CliContext, type RegisterCommand } from './cliContext.js';
import type { BenchCliOptions } from './bench/benchCommand.js';
import { RW_MODES } from './bench/rwModes.js';
import { addTlsOptions } from './nbdOptions.js';
import { choiceOption, durationOption, integerOption, percentOption, sizeOption } from './options.js';

export const registerBench: RegisterCommand = (program: Command, context: CliContext) => {
  addTlsOptions(program.command('bench'))
    .description('benchmark the NBD client against a server, like fio --ioengine=nbd')
    .argument('<uri>', 'nbd://host[:port]/export or nbd+unix:///export?socket=PATH')
    .option('--rw <mode>', `workload: ${RW_MODES.join(', ')}`, choiceOption(RW_MODES), 'randread')
    .option('--rwmix <percent>', 'percent of reads in randrw', percentOption, 50)
    .option('--bs <bytes>', 'block size, e.g. 4k, 256k', sizeOption, 4096)
    .option('--qd <n>', 'queue depth (requests in flight)', integerOption(1), 32)
    .option('--time <duration>', 'run this long, e.g. 10s, 500ms (default 10s)', durationOption)
    .option('--size <bytes>', 'or move this many bytes, e.g. 1G', sizeOption)
    .option('--ramp-time <duration>', "run this long before measuring, as fio's ramp_time (e.g. 2s; default none)", durationOption)
    .option('-C, --connections <n>', 'NBD connections (needs multi-conn)', integerOption(1), 1)
    .option('--seed <n>', 'seed of the random offsets', integerOption(0), 1)
    .option('--json', 'print one JSON document')
    .action(action(context, 'bench', async (uri: string, options: BenchCliOptions) => {
      const { bench } = await import('./bench/benchCommand.js');
      return bench(context, uri, options);
    }));
};
