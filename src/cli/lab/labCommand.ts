/**
 * What `rxbridge lab` does: runs the scenario on every architecture, prints
 * the table (or JSON) and the verdict, writes the HTML report. Loaded only
 * when the command runs (see ../lab.ts).
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { runLab, ALL_ARCHS } from '../../lab/runLab.js';
import { formatJsonReport, toJsonReport } from '../../lab/jsonReport.js';
import { renderReport } from '../../lab/report.js';
import { renderTable } from '../../lab/table.js';
import { verdict } from '../../lab/verdict.js';
import type { ArchName } from '../../lab/types.js';
import type { CliContext } from '../cliContext.js';
import type { SCENARIOS } from '../lab.js';

export interface LabFlags {
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

export async function lab(context: CliContext, flags: LabFlags): Promise<number> {
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
}
