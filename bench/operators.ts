/**
 * Operator overhead: frames per second through frame → matchReplies, and
 * units per second through prioritize → rebuffer, each against a
 * hand-written loop doing the same work without RxJS. Prints the ratio of
 * time per frame (operators / hand loop), median of several rounds.
 *
 *   npm run bench            (or: node --import tsx bench/operators.ts [rounds])
 */
import { Subject } from 'rxjs';
import type { FrameDecoder, FrameHeader, Unit } from '../src/core/codec.js';
import { frame } from '../operators/frame.js';
import { matchReplies } from '../operators/matchReplies.js';
import { prioritize } from '../operators/prioritize.js';
import { rebuffer } from '../operators/rebuffer.js';

const ROUNDS = Number(process.argv[2] ?? 5);
const HEADER = 9; // tag u32 | final u8 | length u32

interface Header extends FrameHeader { length: number }

const decoder: FrameDecoder<Header> = {
  prefixLength: 1,
  maxPayloadBytes: 1 << 20,
  headerLength: () => HEADER,
  decodeHeader: (buf, at) => ({ tag: buf.readUInt32BE(at), final: buf[at + 4] === 1, length: buf.readUInt32BE(at + 5) }),
  payloadLength: (h) => h.length,
};

/** N frames of `size` payload bytes, cut into 64 KiB chunks as a socket would deliver them. */
function stream(frames: number, size: number): Buffer[] {
  const all = Buffer.alloc(frames * (HEADER + size));
  for (let i = 0, at = 0; i < frames; i++, at += HEADER + size) {
    all.writeUInt32BE(i + 1, at);
    all[at + 4] = 1;
    all.writeUInt32BE(size, at + 5);
  }
  const chunks: Buffer[] = [];
  for (let at = 0; at < all.length; at += 65536) chunks.push(all.subarray(at, at + 65536));
  return chunks;
}

function viaOperators(chunks: Buffer[], frames: number): number {
  const input = new Subject<Buffer>();
  const requests = new Subject<{ tag: number }>();
  const scratch = Buffer.alloc(1 << 20);
  let delivered = 0;
  input.pipe(frame(decoder), matchReplies(requests)).subscribe((e) => {
    if (e.kind === 'part') {
      e.part.payload.copy(scratch, e.part.offset);
      if (e.part.last) delivered++;
    }
  });
  const t0 = performance.now();
  for (let tag = 1; tag <= frames; tag++) requests.next({ tag });
  for (const c of chunks) input.next(c);
  const ms = performance.now() - t0;
  if (delivered !== frames) throw new Error(`operators delivered ${delivered} of ${frames}`);
  return ms;
}

function byHand(chunks: Buffer[], frames: number): number {
  const pending = new Map<number, { tag: number }>();
  const scratch = Buffer.alloc(1 << 20);
  const header = Buffer.alloc(HEADER);
  let delivered = 0;
  const t0 = performance.now();
  for (let tag = 1; tag <= frames; tag++) pending.set(tag, { tag });
  // The same state machine as frame(), with the same decoder: header bytes may straddle chunks, payloads are copied out.
  let headerHave = 0;
  let current: Header | undefined;
  let payloadLeft = -1;
  let payloadAt = 0;
  for (const chunk of chunks) {
    let at = 0;
    while (at < chunk.length) {
      if (payloadLeft < 0) {
        const n = Math.min(HEADER - headerHave, chunk.length - at);
        chunk.copy(header, headerHave, at, at + n);
        headerHave += n;
        at += n;
        if (headerHave < HEADER) break;
        headerHave = 0;
        current = decoder.decodeHeader(header, 0);
        payloadLeft = decoder.payloadLength(current);
        payloadAt = 0;
        if (!pending.has(current.tag)) throw new Error('unknown tag');
      }
      const n = Math.min(payloadLeft, chunk.length - at);
      chunk.copy(scratch, payloadAt, at, at + n);
      payloadAt += n;
      payloadLeft -= n;
      at += n;
      if (payloadLeft === 0) {
        pending.delete(current!.tag);
        delivered++;
        payloadLeft = -1;
      }
    }
  }
  const ms = performance.now() - t0;
  if (delivered !== frames) throw new Error(`hand loop delivered ${delivered} of ${frames}`);
  return ms;
}

function units(count: number): Unit[] {
  return Array.from({ length: count }, (_, i) => {
    const header = Buffer.alloc(28, i & 0xff);
    const lane = i % 4 === 0 ? 'data' : 'command';
    const buffers = lane === 'data' ? [header, Buffer.alloc(4096, 1)] : [header];
    return { lane, buffers, bytes: buffers.reduce((s, b) => s + b.length, 0) } as Unit;
  });
}

function sendViaOperators(list: Unit[]): number {
  const input = new Subject<Unit>();
  let bytes = 0;
  input.pipe(prioritize<Unit>(), rebuffer<Unit>()).subscribe((b) => (bytes += b.bytes));
  const t0 = performance.now();
  for (const u of list) input.next(u);
  input.complete();
  const ms = performance.now() - t0;
  const want = list.reduce((s, u) => s + u.bytes, 0);
  if (bytes !== want) throw new Error(`operators batched ${bytes} of ${want} bytes`);
  return ms;
}

function sendByHand(list: Unit[]): number {
  let bytes = 0;
  const t0 = performance.now();
  // Coalesce small buffers into 64 KiB slabs, pass large ones by reference.
  let slab = Buffer.allocUnsafe(65536);
  let used = 0;
  let batch: Buffer[] = [];
  let batchUnits: Unit[] = [];
  let batchBytes = 0;
  let batches = 0;
  // The consumer, as the operators' subscriber: it is handed each batch and keeps nothing.
  const sink = (b: { buffers: Buffer[]; units: Unit[]; bytes: number }) => {
    for (const buf of b.buffers) bytes += buf.length;
    batches++;
  };
  const flush = () => {
    if (used > 0) batch.push(slab.subarray(0, used));
    // The same record rebuffer hands the sink: its buffers, and the units whose bytes it ends.
    sink({ buffers: batch, units: batchUnits, bytes: batchBytes });
    slab = Buffer.allocUnsafe(65536);
    used = 0;
    batch = [];
    batchUnits = [];
    batchBytes = 0;
  };
  for (const u of list) {
    batchUnits.push(u);
    for (const b of u.buffers) {
      if (b.length < 4096) {
        if (used + b.length > slab.length) flush();
        b.copy(slab, used);
        used += b.length;
      } else {
        if (used > 0) {
          batch.push(slab.subarray(0, used));
          slab = slab.subarray(used);
          used = 0;
        }
        batch.push(b);
      }
      batchBytes += b.length;
    }
    if (batchBytes >= 65536) flush();
  }
  flush();
  const ms = performance.now() - t0;
  const want = list.reduce((s, u) => s + u.bytes, 0);
  if (bytes !== want || batches === 0) throw new Error(`hand loop batched ${bytes} of ${want} bytes`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function compare(name: string, count: number, a: () => number, b: () => number): void {
  a(); b(); // warm up
  const ra: number[] = [];
  const rb: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    ra.push(a());
    rb.push(b());
  }
  const ma = median(ra);
  const mb = median(rb);
  const rate = (ms: number) => `${((count / ms) * 1000 / 1e6).toFixed(2)} M/s`;
  console.log(`${name.padEnd(34)} operators ${rate(ma).padStart(11)}   hand loop ${rate(mb).padStart(11)}   ratio ${(ma / mb).toFixed(2)}x`);
}

const FRAMES = 500_000;
const small = stream(FRAMES, 16);
const medium = stream(100_000, 4096);
const list = units(200_000);
console.log(`operator overhead, median of ${ROUNDS} rounds (ratio = time per item, operators / hand loop; target <= 1.5x)`);
compare('frame -> matchReplies, 16 B', FRAMES, () => viaOperators(small, FRAMES), () => byHand(small, FRAMES));
compare('frame -> matchReplies, 4 KiB', 100_000, () => viaOperators(medium, 100_000), () => byHand(medium, 100_000));
compare('prioritize -> rebuffer, units', list.length, () => sendViaOperators(list), () => sendByHand(list));
