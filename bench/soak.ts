/**
 * Soak: random reads and writes against the embedded device for a long time
 * (30 minutes by default) while the device drops the connection every few
 * megabytes and fails a fraction of requests with EIO; the client reconnects
 * and replays. Every block written is tracked and read back: a write that
 * completed must be there; a write that failed was reported (its block is
 * then unknown until written again).
 *
 *   npm run soak -- [--minutes 30] [--qd 16] [--bs 64k] [--size 256M] [--drop-every 8M] [--error-rate 0.001] [--seed 1]
 */
import { parseArgs } from 'node:util';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { connectNbd, type NbdClient } from '../src/nbd/client/index.js';
import { startDeviceWorker } from '../src/nbd/server/startDeviceWorker.js';
import { parseSize } from '../src/device/units.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    qd: { type: 'string', default: '16' },
    bs: { type: 'string', default: '64k' },
    size: { type: 'string', default: '256M' },
    'drop-every': { type: 'string', default: '8M' },
    'error-rate': { type: 'string', default: '0.001' },
    seed: { type: 'string', default: '1' },
  },
});

const minutes = Number(args.minutes);
const qd = Number(args.qd);
const bs = parseSize(args.bs!);
const size = parseSize(args.size!);
const blocks = Math.floor(size / bs);
const errorRate = Number(args['error-rate']);
let seed = Number(args.seed) >>> 0;
const random = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** The content of a block at a version: derived (xorshift seeded by both), so only a version per block is kept. */
function content(block: number, version: number, into: Buffer): Buffer {
  let x = (Math.imul(block + 1, 0x9e3779b1) ^ Math.imul(version, 0x85ebca6b)) | 1;
  for (let at = 0; at + 4 <= into.length; at += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    into.writeInt32LE(x, at);
  }
  return into;
}

const UNKNOWN = -1;
const version = new Int32Array(blocks); // 0 = never written (zeros), >0 = that version, -1 = unknown (a write failed)
const counts = { completed: 0, failed: 0, verified: 0, mismatches: 0, readBytes: 0, writeBytes: 0 };
const failures = new Map<string, number>();
let peakRss = 0;

async function lane(client: NbdClient, laneNo: number, until: number): Promise<void> {
  const buf = Buffer.alloc(bs);
  const expected = Buffer.alloc(bs);
  while (performance.now() < until) {
    // Each lane owns the blocks ≡ laneNo (mod qd): no two writes to one block are ever in flight.
    const block = laneNo + qd * Math.floor(random() * Math.floor((blocks - laneNo + qd - 1) / qd));
    if (block >= blocks) continue;
    try {
      if (random() < 0.6) {
        const v = (version[block] > 0 ? version[block] : 0) + 1;
        await lastValueFrom(client.write(block * bs, content(block, v, buf)), { defaultValue: undefined });
        version[block] = v;
        counts.writeBytes += bs;
      } else {
        await firstValueFrom(client.read(block * bs, bs, { into: buf }));
        counts.readBytes += bs;
        check(block, buf, expected);
      }
      counts.completed++;
    } catch (err) {
      counts.failed++;
      const code = (err as { code?: string }).code ?? 'uncoded';
      failures.set(code, (failures.get(code) ?? 0) + 1);
      // A failed write may or may not have reached the device.
      if (code !== 'RXB_INVALID_ARGUMENT') version[block] = UNKNOWN;
    }
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }
}

function check(block: number, got: Buffer, expected: Buffer): void {
  const v = version[block];
  if (v === UNKNOWN) return;
  if (v === 0) expected.fill(0);
  else content(block, v, expected);
  if (got.equals(expected)) counts.verified++;
  else counts.mismatches++;
}

async function main(): Promise<void> {
  const device = await startDeviceWorker({
    exports: [{ name: '', size }],
    model: {
      base: 'unlimited',
      faults: { disconnectAfterBytes: parseSize(args['drop-every']!), errorRate: { read: errorRate, write: errorRate } },
      seed: Number(args.seed),
    },
  });
  const client = await firstValueFrom(connectNbd(device.uri, { reconnect: { delayMs: 5, maxDelayMs: 200, giveUpAfterMs: 30_000 } }));
  const started = performance.now();
  const until = started + minutes * 60_000;
  const progress = setInterval(() => {
    const s = client.stats()[0];
    const el = ((performance.now() - started) / 1000).toFixed(0);
    process.stderr.write(`[${el} s] completed ${counts.completed}, failed ${counts.failed}, replayed ${s.replayed}, reconnects ${s.reconnects}, mismatches ${counts.mismatches}\n`);
  }, 10_000);
  try {
    await Promise.all(Array.from({ length: qd }, (_, i) => lane(client, i, until)));
    // Final pass: every block whose content is known is read back and compared.
    const buf = Buffer.alloc(bs);
    const expected = Buffer.alloc(bs);
    let finalChecked = 0;
    for (let block = 0; block < blocks; block++) {
      if (version[block] === UNKNOWN) continue;
      await firstValueFrom(client.read(block * bs, bs, { into: buf })).then(
        () => { check(block, buf, expected); finalChecked++; },
        (err: { code?: string }) => {
          counts.failed++;
          failures.set(err.code ?? 'uncoded', (failures.get(err.code ?? 'uncoded') ?? 0) + 1);
        },
      );
    }
    const s = client.stats()[0];
    const report = {
      minutes,
      qd,
      bs,
      size,
      requests: { completed: counts.completed, failed: counts.failed, replayed: s.replayed, reconnects: s.reconnects },
      failuresByCode: Object.fromEntries(failures),
      bytesVerified: counts.verified * bs,
      blocksCheckedAtEnd: finalChecked,
      mismatches: counts.mismatches,
      peakRssMB: Math.round(peakRss / 1e6),
      MBps: { read: counts.readBytes / 1e6 / (minutes * 60), write: counts.writeBytes / 1e6 / (minutes * 60) },
    };
    console.log(JSON.stringify(report, null, 2));
    process.exitCode = counts.mismatches === 0 ? 0 : 1;
  } finally {
    clearInterval(progress);
    await lastValueFrom(client.close(), { defaultValue: undefined }).catch(() => client.destroy());
    await device.close();
  }
}

await main();
