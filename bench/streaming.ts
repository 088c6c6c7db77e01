/**
 * Memory under back-pressure: `rxbridge copy nbd://… -` streams an export to
 * a consumer that reads only 50 MB/s. Back-pressure must reach the socket:
 * the client's peak RSS stays bounded (under 200 MB) however large the export.
 *
 *   node --import tsx bench/streaming.ts [--size 4G] [--rate 50]      (needs `npm run build`)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { connectNbd } from '../src/nbd/client/index.js';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { serveNbd } from '../src/nbd/server/index.js';
import { parseSize } from '../src/device/units.js';

const { values: args } = parseArgs({ options: { size: { type: 'string', default: '4G' }, rate: { type: 'string', default: '50' } } });
const size = parseSize(args.size!);
const rateBytes = Number(args.rate) * 1e6;

/** Peak RSS of a process so far, from the kernel (VmHWM), in MB. */
function peakRssMB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

const server = await new Promise<import('../src/nbd/server/index.js').NbdServerHandle>((resolve, reject) =>
  serveNbd({ exports: [{ name: '', size }], model: 'unlimited' }).subscribe({ next: resolve, error: reject }),
);
// Data everywhere: a sparse export would be copied from block status, without reading.
{
  const client = await firstValueFrom(connectNbd(server.uri));
  const block = randomBytes(4 * 1024 * 1024);
  const lanes = Array.from({ length: 8 }, async (_, lane) => {
    for (let at = lane * block.length; at < size; at += 8 * block.length) {
      await lastValueFrom(client.write(at, block.subarray(0, Math.min(block.length, size - at))), { defaultValue: undefined });
    }
  });
  await Promise.all(lanes);
  await lastValueFrom(client.close(), { defaultValue: undefined });
}
const started = performance.now();
const copy = spawn(process.execPath, ['bin/rxbridge.js', 'copy', server.uri, '-'], { stdio: ['ignore', 'pipe', 'inherit'] });
let received = 0;
let peak = 0;
// The slow consumer: reads, then pauses long enough to average `rate`.
copy.stdout!.on('data', (chunk: Buffer) => {
  received += chunk.length;
  const due = started + (received / rateBytes) * 1000;
  const wait = due - performance.now();
  if (wait > 1) {
    copy.stdout!.pause();
    setTimeout(() => copy.stdout!.resume(), wait);
  }
});
const sampler = setInterval(() => {
  peak = Math.max(peak, peakRssMB(copy.pid!));
  process.stderr.write(`\r${(received / 1e6).toFixed(0)} MB, client peak RSS ${peak.toFixed(0)} MB   `);
}, 500);
const code = await new Promise<number | null>((resolve) => copy.on('exit', (c) => resolve(c)));
clearInterval(sampler);
await server.close();
const seconds = (performance.now() - started) / 1000;
process.stderr.write('\n');
console.log(JSON.stringify({ exportBytes: size, received, seconds: Number(seconds.toFixed(1)), MBps: Number((received / 1e6 / seconds).toFixed(1)), clientPeakRssMB: Math.round(peak), exitCode: code }));
process.exitCode = received === size && code === 0 ? 0 : 1;
