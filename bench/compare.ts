/**
 * rxbridge against the C peers, in one run on one machine: `nbdkit memory`
 * on 127.0.0.1, pre-filled; then, alternating peer and rxbridge over several
 * rounds (peer first in odd rounds, rxbridge first in even ones, so neither
 * side always runs on what the other left behind), fio's nbd engine against
 * `rxbridge bench` (4 KiB random read/write at depth 32, 256 KiB sequential
 * read/write at depth 16; the reads once more after an uncounted ramp;
 * sequential reads also through a minimal Node.js client, for reference),
 * `nbdcopy --connections=1` against `rxbridge copy` for the whole export in
 * each direction, and a raw Node.js socket ceiling. Prints a Markdown table
 * of medians and ratios and writes it to docs/BENCHMARKS.md.
 *
 *   node --import tsx bench/compare.ts [--rounds 3] [--seconds 8] [--size 1G] [--out FILE] [--skip-build]
 *   node --import tsx bench/compare.ts --smoke      (a few seconds, 1 round, tiny jobs; prints only)
 *
 * rxbridge runs from the built dist (`node bin/rxbridge.js`), so this builds first.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream, existsSync, openSync, writeSync, closeSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startNbdkit, type RunningPeer } from '../spec/helpers/peers.js';
import { parseSize } from '../src/device/units.js';
import { headline, runFio, runMinimalClient, runRxbridgeBench } from './compare/benchJobs.js';
import { runChild } from './compare/child.js';
import { runNbdcopy, runRxbridgeCopy, type CopyDirection, type CopyPaths } from './compare/copyJobs.js';
import { describeMachine } from './compare/machine.js';
import { environmentWithoutExtraCaCerts, medianNodeSeconds, medianSeconds } from './compare/nodeStartup.js';
import { renderReport, type JobOutcome } from './compare/report.js';
import { withServerCpu } from './compare/serverCpu.js';
import type { BenchJobSpec, Sample } from './compare/sample.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    size: { type: 'string' },
    out: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    'skip-build': { type: 'boolean', default: false },
  },
});

const smoke = args.smoke === true;
const rounds = Number(args.rounds ?? (smoke ? 1 : 3));
const seconds = Number(args.seconds ?? (smoke ? 0.25 : 8));
const exportBytes = parseSize(args.size ?? (smoke ? '64M' : '1G'));
const ceilingBytes = smoke ? 256 * 2 ** 20 : 2 * 2 ** 30;
const out = args.out ?? (smoke ? undefined : 'docs/BENCHMARKS.md');
if (!(rounds >= 1) || !(seconds > 0)) throw new Error('--rounds must be ≥ 1 and --seconds > 0');

/** Seconds of uncounted ramp in the steady-state rows. */
const rampSeconds = smoke ? 0.1 : 2;

const BENCH_JOBS: readonly BenchJobSpec[] = [
  { rw: 'randread', bs: 4096, qd: 32 },
  { rw: 'randwrite', bs: 4096, qd: 32 },
  { rw: 'read', bs: 256 * 1024, qd: 16 },
  { rw: 'write', bs: 256 * 1024, qd: 16 },
  // The same reads again, counted only after the ramp: how much of the
  // difference above is the client process warming up rather than its steady state.
  { rw: 'randread', bs: 4096, qd: 32, rampSeconds },
  { rw: 'read', bs: 256 * 1024, qd: 16, rampSeconds },
];
const COPY_JOBS: readonly CopyDirection[] = ['file-to-nbd', 'nbd-to-file'];

/** Runs both sides of one job, peer first in rounds 0, 2, 4…, rxbridge first in the others; returns [peer, rxbridge]. */
async function pair<T>(round: number, peer: () => Promise<T>, ours: () => Promise<T>): Promise<[T, T]> {
  if (round % 2 === 0) {
    const theirs = await peer();
    return [theirs, await ours()];
  }
  const mine = await ours();
  return [await peer(), mine];
}

function log(text: string): void {
  process.stderr.write(`${text}\n`);
}

function label(spec: BenchJobSpec): string {
  const ramp = spec.rampSeconds ? `, after a ${spec.rampSeconds} s ramp` : '';
  return `${spec.rw} ${spec.bs >= 1024 ? `${spec.bs / 1024}k` : spec.bs} qd${spec.qd}${ramp}`;
}

function copyLabel(direction: CopyDirection): string {
  const size = exportBytes >= 2 ** 30 ? `${exportBytes / 2 ** 30} GiB` : `${exportBytes / 2 ** 20} MiB`;
  return direction === 'nbd-to-file' ? `copy ${size} nbd → file` : `copy ${size} file → nbd`;
}

async function build(): Promise<void> {
  log('building (npm run build)…');
  try {
    await runChild('npm', ['run', 'build']);
  } catch (err) {
    // tsc emits despite type errors elsewhere in a shared tree; only a missing CLI is fatal.
    if (!existsSync('dist/cli/rxbridge.cjs')) throw err;
    log(`warning: the build reported errors; using the emitted dist anyway:\n${(err as Error).message.slice(-600)}`);
  }
}

function writeRandomFile(file: string, bytes: number): void {
  const chunk = Buffer.allocUnsafe(16 * 2 ** 20);
  const fd = openSync(file, 'w');
  try {
    for (let done = 0; done < bytes; ) {
      const n = Math.min(chunk.length, bytes - done);
      randomFillSync(chunk, 0, n);
      done += writeSync(fd, chunk, 0, n);
    }
  } finally {
    closeSync(fd);
  }
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * 2 ** 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Median wall clock of a fresh `bin/rxbridge ARGS…`, after one run that is
 * not counted: it writes the command's code cache, as a user's first run does.
 */
async function cliSeconds(args: string[]): Promise<number> {
  await runChild('bin/rxbridge', args);
  return medianSeconds('bin/rxbridge', args, smoke ? 1 : 5);
}

/**
 * The start-up every copy pays: `info URI` starts the CLI, loads the NBD
 * client, connects, negotiates and closes. (`--help` no longer loads the
 * client, so it would understate it.)
 */
async function startupSeconds(uri: string): Promise<{ info: number; help: number }> {
  return { info: await cliSeconds(['info', uri]), help: await cliSeconds(['--help']) };
}

async function main(): Promise<void> {
  const started = new Date();
  const machine = describeMachine();
  if (!args['skip-build']) await build();
  const tmp = await mkdtemp(path.join(existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'rxbridge-compare-'));
  let peer: RunningPeer | undefined;
  try {
    peer = await startNbdkit(['memory', String(exportBytes)]);
    const paths: CopyPaths = { uri: peer.uri, inFile: path.join(tmp, 'in.img'), outFile: path.join(tmp, 'out.img'), bytes: exportBytes };
    log(`nbdkit memory ${exportBytes} at ${peer.uri}; writing ${exportBytes} random bytes and pre-filling with nbdcopy…`);
    writeRandomFile(paths.inFile, exportBytes);
    const inHash = await sha256(paths.inFile);
    await runChild('nbdcopy', ['--connections=1', paths.inFile, peer.uri]);
    const startup = await startupSeconds(peer.uri);
    const withoutCaCerts = environmentWithoutExtraCaCerts();
    const bareNode = await medianNodeSeconds(['-e', '0'], smoke ? 1 : 5);
    const bareNodeWithout = withoutCaCerts && (await medianNodeSeconds(['-e', '0'], smoke ? 1 : 5, withoutCaCerts));

    const jobs = new Map<string, JobOutcome>();
    const references = new Map<string, JobOutcome>();
    const outcome = (job: string, unit: JobOutcome['unit'], peerName: string, table = jobs): JobOutcome => {
      let o = table.get(job);
      if (o === undefined) table.set(job, (o = { job, unit, peer: peerName, peerSamples: [], oursSamples: [] }));
      return o;
    };
    const record = (o: JobOutcome, round: number, theirs: Sample, ours: Sample, oursName = 'rxbridge') => {
      o.peerSamples.push(theirs);
      o.oursSamples.push(ours);
      log(`round ${round + 1}/${rounds} ${o.job}: ${o.peer} ${theirs.value.toFixed(0)} ${o.unit} · ${oursName} ${ours.value.toFixed(0)} ${o.unit} (${(ours.value / theirs.value).toFixed(2)}×)`);
    };
    const ceiling: number[] = [];
    const server = peer.pid;
    /** The bytes a time-based block job moved, ramp included (the server served those too). */
    const blockBytes = (spec: BenchJobSpec) => (sample: Sample) => sample.MBps * 1e6 * (seconds + (spec.rampSeconds ?? 0));
    const copyBytes = () => exportBytes;

    for (let round = 0; round < rounds; round++) {
      // Copies first: after the file → nbd copies the export holds in.img, so the copy out can be verified.
      for (const direction of COPY_JOBS) {
        const ourCopy = async () => {
          const sample = await runRxbridgeCopy(direction, paths);
          if (round === 0 && direction === 'nbd-to-file' && (await sha256(paths.outFile)) !== inHash) {
            throw new Error('rxbridge copy nbd → file produced a file that differs from what was copied in');
          }
          return sample;
        };
        const [theirs, ours] = await pair(
          round,
          () => withServerCpu(server, () => runNbdcopy(direction, paths), copyBytes),
          () => withServerCpu(server, ourCopy, copyBytes),
        );
        record(outcome(copyLabel(direction), 'MB/s', 'nbdcopy -C 1'), round, theirs, ours);
      }
      for (const spec of BENCH_JOBS) {
        const [theirs, ours] = await pair(
          round,
          () => withServerCpu(server, () => runFio(paths.uri, spec, seconds), blockBytes(spec)),
          () => withServerCpu(server, () => runRxbridgeBench(paths.uri, spec, seconds), blockBytes(spec)),
        );
        record(outcome(label(spec), headline(spec), 'fio nbd'), round, theirs, ours);
        if (spec.rw === 'read') {
          // What Node.js itself reaches on this job, set against the same fio run.
          const minimal = await withServerCpu(server, () => runMinimalClient(paths.uri, spec, seconds), blockBytes(spec));
          record(outcome(`${label(spec)}: minimal Node.js client`, headline(spec), 'fio nbd', references), round, theirs, minimal, 'minimal client');
        }
      }
      const c = JSON.parse((await runChild(process.execPath, ['--import', 'tsx', 'bench/compare/socketCeiling.ts', String(ceilingBytes)])).stdout);
      ceiling.push(c.MBps);
      log(`round ${round + 1}/${rounds} socket ceiling: ${c.MBps.toFixed(0)} MB/s`);
    }

    const argv = process.argv.slice(2).join(' ');
    const report = renderReport({
      date: started.toISOString(),
      command: `node --import tsx bench/compare.ts${argv ? ` ${argv}` : ''}`,
      machine,
      setup:
        `Server: \`nbdkit memory ${exportBytes}\` on 127.0.0.1, pre-filled with random data. ${rounds} round(s); in each, every job runs ` +
        `peer and rxbridge back to back, peer first in odd rounds and rxbridge first in even ones (A B, B A, …); medians. Block jobs: ${seconds} s each, time based, one connection; ` +
        `those "after a ramp" first run ${rampSeconds} s uncounted on both sides (fio --ramp_time, rxbridge bench --ramp-time). ` +
        `Copies: the whole export, one connection, wall clock of a fresh process.`,
      jobs: [...jobs.values()],
      references: [...references.values()],
      ceilingMBps: ceiling,
      notes: [
        `Copy wall clock includes process start-up: \`bin/rxbridge info URI\` (start, load the NBD client, connect, negotiate, close) takes ${(startup.info * 1000).toFixed(0)} ms here and \`--help\` ${(startup.help * 1000).toFixed(0)} ms; nbdcopy starts in a few ms. ` +
          `Node.js itself (\`node -e 0\`) takes ${(bareNode * 1000).toFixed(0)} ms.`,
        ...(bareNodeWithout === undefined
          ? []
          : [
              `NODE_EXTRA_CA_CERTS is set in this environment, and Node.js 20 parses that certificate bundle at every process start, before any script runs: ` +
                `\`node -e 0\` takes ${(bareNode * 1000).toFixed(0)} ms with it and ${(bareNodeWithout * 1000).toFixed(0)} ms without. ` +
                'bin/rxbridge keeps it from Node\'s start-up and rxbridge reads it only for a TLS connection that names no CA.',
            ]),
        'CPU s/GB: fio from its job thread\'s usr+sys; `rxbridge bench` from process.cpuUsage() of its whole process (GC and JIT included); copies from bash `times` of the process.',
        'Client and server share the machine: client CPU saved is server throughput gained.',
        'Server CPU s/GB: nbdkit\'s user + system time (/proc/PID/stat, all its threads) over each client run, divided by the bytes that client moved in the whole run (ramp included). ' +
          'Server cores: the same CPU time over the client run\'s wall clock (start-up included, so a little low). A server near one core is the ceiling every client meets here.',
        'A fresh rxbridge process runs its first seconds before V8 has optimised the request path, and compiles it on a second thread: ' +
          'the block jobs without a ramp include that warm-up, the rows after a ramp show the steady state. A long-lived client (a bridge, a copy of many GB) pays it once.',
        'The socket ceiling: one Node.js process writes 1 MiB buffers, another receives through a reusable 256 KiB buffer.',
        'The minimal Node.js client (bench/compare/minimalClient.ts) is the least a Node.js program does for a sequential read job: one callback loop over one socket, ' +
          'simple replies, each header read through a reusable 256 KiB buffer and the rest of its payload straight into the request\'s buffer, one write per tick; no engine, no RxJS, no timeouts or recovery. ' +
          'It reads each payload in reads as large as the kernel allows, where rxbridge reads payloads of up to 1 MiB 16 KiB at a time (docs/ARCHITECTURE.md). ' +
          'Between it and fio is what Node.js costs.',
      ],
    });
    process.stdout.write(report);
    if (out !== undefined) {
      await writeFile(out, report);
      log(`written to ${out}`);
    }
  } finally {
    await peer?.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
