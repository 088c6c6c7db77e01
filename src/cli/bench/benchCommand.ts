/**
 * What `rxbridge bench` does: connects, runs the job with a progress line on
 * stderr, prints the report, closes politely.
 */
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { InvalidArgumentError } from '../../core/errors.js';
import { connectNbd } from '../../nbd/client/index.js';
import type { CliContext } from '../cliContext.js';
import { runBench, type BenchJob, type BenchProbe, type RwMode } from './benchRun.js';
import { benchReport, progressLine, renderBench } from './benchReport.js';
import { nbdOptionsFor, tlsOptionsOf, type TlsCliFlags } from '../nbdOptions.js';

export interface BenchCliOptions extends TlsCliFlags {
  rw: RwMode;
  rwmix: number;
  bs: number;
  qd: number;
  time?: number;
  size?: number;
  rampTime?: number;
  connections: number;
  seed: number;
  json?: boolean;
}

const DEFAULT_TIME_MS = 10_000;

/** Prints a progress line on stderr every second (rewritten in place on a terminal); returns the stopper. */
function startProgress(context: CliContext, probe: BenchProbe): () => void {
  const { stderr } = context.io;
  const started = performance.now();
  let last = started;
  let lastIos = 0;
  let lastBytes = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    const { read, write } = probe.totals;
    const ios = read.ios + write.ios;
    const bytes = read.bytes + write.bytes;
    const line = probe.ramping
      ? `[${Math.round((now - started) / 1000)} s] ramping (not measured)`
      : progressLine((now - started) / 1000, ios - lastIos, bytes - lastBytes, (now - last) / 1000);
    stderr.write(stderr.isTTY ? `\r${line}\x1b[K` : `${line}\n`);
    last = now;
    lastIos = ios;
    lastBytes = bytes;
  }, 1000);
  return () => {
    clearInterval(timer);
    if (stderr.isTTY) stderr.write('\r\x1b[K');
  };
}

export async function bench(context: CliContext, uri: string, options: BenchCliOptions): Promise<number> {
  if (options.time !== undefined && options.size !== undefined) throw new InvalidArgumentError('give --time or --size, not both');
  const job: BenchJob = {
    rw: options.rw,
    rwmixRead: options.rwmix,
    bs: options.bs,
    qd: options.qd,
    seed: options.seed,
    ...(options.size !== undefined ? { sizeBytes: options.size } : { timeMs: options.time ?? DEFAULT_TIME_MS }),
    ...(options.rampTime !== undefined ? { rampMs: options.rampTime } : {}),
  };
  const client = await firstValueFrom(connectNbd(uri, { ...nbdOptionsFor(options.connections, options.qd, options.bs), ...tlsOptionsOf(options) }));
  let stopProgress = () => {};
  try {
    let cpuBefore = process.cpuUsage();
    const totals = await runBench(
      client,
      job,
      (probe) => (stopProgress = startProgress(context, probe)),
      () => (cpuBefore = process.cpuUsage()),
    );
    const cpu = process.cpuUsage(cpuBefore);
    stopProgress();
    const report = benchReport(job, options.connections, totals, cpu, process.resourceUsage().maxRSS * 1024);
    context.io.stdout.write(options.json ? JSON.stringify(report, null, 2) + '\n' : renderBench(report));
  } catch (err) {
    stopProgress();
    client.destroy();
    throw err;
  }
  await lastValueFrom(client.close(), { defaultValue: undefined });
  return 0;
}

