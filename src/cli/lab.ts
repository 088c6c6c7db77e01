/**
 * `rxbridge lab`: the classic architectures beside the reactive engine on
 * the same device, with the answer measured. `npm start` runs it with the
 * defaults and writes the HTML report. The work is in lab/labCommand.ts,
 * loaded when the command runs.
 */
import type { Command } from 'commander';
import type { ArchName } from '../lab/types.js';
import { action, type CliContext, type RegisterCommand } from './cliContext.js';
import type { LabFlags } from './lab/labCommand.js';
import { choiceOption, durationOption, integerOption, sizeOption } from './options.js';

export const SCENARIOS = ['mixed', 'reads', 'writes', 'small', 'sweep'] as const;

/**
 * The architectures, for the help text. The lab's own list (runLab's
 * ALL_ARCHS) is not imported here, because that loads the whole lab; a spec
 * keeps the two equal.
 */
export const LAB_ARCHS: readonly ArchName[] = ['lockstep', 'sendqueue', 'fifo', 'reactive'];

export const registerLab: RegisterCommand = (program: Command, context: CliContext) => {
  program
    .command('lab')
    .description('run a workload against lockstep, sendqueue, fifo and the reactive engine on one device, and show where the pauses come from')
    .option('--scenario <name>', `mixed (default: bulk writes + interactive reads), reads, writes, small, sweep`, choiceOption(SCENARIOS), 'mixed')
    .option('--time <duration>', 'measured time per architecture, e.g. 12s', durationOption, 12_000)
    .option('--seed <n>', 'seed of every random choice', integerOption(0), 42)
    .option('--archs <list>', `comma-separated subset of ${LAB_ARCHS.join(',')}`)
    .option('--device <uri>', 'an NBD server to use instead of the embedded device (e.g. nbdkit with its rate and delay filters)')
    .option('--model <preset>', 'embedded device preset: gigabit, 10gigabit, unlimited', 'gigabit')
    .option('--size <size>', 'embedded device export size', sizeOption, 1024 * 1024 * 1024)
    .option('--json', 'print one JSON document instead of the table')
    .option('--report <file>', 'write the HTML report here', 'rxbridge-report.html')
    .option('--no-report', 'do not write the HTML report')
    .option('--no-progress', 'no live progress')
    .action(action(context, 'lab', async (flags: LabFlags) => {
      const { lab } = await import('./lab/labCommand.js');
      return lab(context, flags);
    }));
};
