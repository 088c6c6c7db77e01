/**
 * `rxbridge lab`: the classic architectures beside the reactive engine on
 * the same device, with the answer measured. `npm start` runs it with the
 * defaults and writes the HTML report.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { runLab, ALL_ARCHS } from '../lab/runLab.js';
import { formatJsonReport, toJsonReport } from '../lab/jsonReport.js';
import { renderReport } from '../lab/report.js';
import { renderTable } from '../lab/table.js';
import { verdict } from '../lab/verdict.js';
import type { ArchName } from '../lab/types.js';
import { action, type CliContext, type RegisterCommand } from './cliContext.js';
import { choiceOption, durationOption, integerOption, sizeOption } from './options.js';

const SCENARIOS = ['mixed', 'reads', 'writes', 'small', 'sweep'] as const;

interface LabFlags {
  scenario: (typeof SCENARIOS)[number];
  time: number;
  seed: number;
  archs?: string;
  device?: string;
  model: string;
  size: number;
  json?: boolean;
  report: string | false;
  progress: boolean;
}

export const registerLab: RegisterCommand = (program: Command, context: CliContext) => {
  program
    .command('lab')
    .description('run a workload against lockstep, sendqueue, fifo and the reactive engine on one device, and show where the pauses come from')
    .option('--scenario <name>', `mixed (default: bulk writes + interactive reads), reads, writes, small, sweep`, choiceOption(SCENARIOS), 'mixed')
    .option('--time <duration>', 'measured time per architecture, e.g. 12s', durationOption, 12_000)
    .option('--seed <n>', 'seed of every random choice', integerOption(0), 42)
    .option('--archs <list>', `comma-separated subset of ${ALL_ARCHS.join(',')}`)
    .option('--device <uri>', 'an NBD server to use instead of the embedded device (e.g. nbdkit with its rate and delay filters)')
    .option('--model <preset>', 'embedded device preset: gigabit, 10gigabit, unlimited', 'gigabit')
    .option('--size <size>', 'embedded device export size', sizeOption, 1024 * 1024 * 1024)
    .option('--json', 'print one JSON document instead of the table')
    .option('--report <file>', 'write the HTML report here', 'rxbridge-report.html')
    .option('--no-report', 'do not write the HTML report')
    .option('--no-progress', 'no live progress')
    .action(action(context, 'lab', async (flags: LabFlags) => {
      const io = context.io;
      const archs = flags.archs?.split(',').map((a) => a.trim()).filter(Boolean) as ArchName[] | undefined;
      for (const a of archs ?? []) {
        if (!ALL_ARCHS.includes(a)) throw new Error(`unknown architecture '${a}' (choose from ${ALL_ARCHS.join(', ')})`);
      }
      const report = await runLab({
        scenario: flags.scenario,
        durationMs: flags.time,
        seed: flags.seed,
        archs,
        deviceUri: flags.device,
        model: flags.model,
        deviceSize: flags.size,
        progress: flags.progress ? io.stderr : undefined,
      });
      if (flags.json) io.stdout.write(formatJsonReport(report) + '\n');
      else {
        io.stdout.write(renderTable(toJsonReport(report)) + '\n');
        for (const line of verdict(report)) io.stdout.write(line + '\n');
      }
      if (flags.report !== false) {
        const file = resolve(flags.report);
        await writeFile(file, renderReport(report));
        io.stderr.write(`report: ${file}\n`);
      }
      return 0;
    }));
};
