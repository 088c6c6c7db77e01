/**
 * What the client under attack asks for in a hostile case, and what a
 * success must look like. The hostile server never sends the byte
 * {@link FILL} and a read-into destination starts full of it, so a read
 * that succeeds with a FILL byte left in it completed without every byte
 * covered (with a fresh buffer, that would be uninitialised memory).
 */
import { expect } from 'chai';
import { type Observable } from 'rxjs';
import type { NbdClient } from '../../src/nbd/client/index.js';
import { expectCoded, settle, type Settled } from './invariants.js';

/** The byte the hostile server puts at export offset `at`. */
export function pattern(at: number): number {
  return (at * 131 + 17) & 0xff;
}

/** A buffer of pattern bytes for export range [at, at + n). */
export function patternBytes(at: number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = pattern(at + i);
  return b;
}

/** The byte the hostile server never sends. */
export const FILL = 0xee;

export interface WorkloadShape {
  /** [offset, length] of the two reads: one small, one above the 16 KiB slice threshold (read into a caller buffer). */
  readonly reads: readonly [readonly [number, number], readonly [number, number]];
  readonly write: readonly [number, number];
  readonly blockStatus: readonly [number, number];
}

/** The replies spec: a payload large enough to arrive in several parts. */
export const WIDE: WorkloadShape = { reads: [[0, 1000], [4096, 20000]], write: [65536, 512], blockStatus: [0, 65536] };
/** The truncation spec: small, so a valid transcript has few bytes to cut at. */
export const NARROW: WorkloadShape = { reads: [[0, 64], [512, 40]], write: [1024, 16], blockStatus: [0, 4096] };

/** The NBD requests the workload puts on the wire (no BLOCK_STATUS without structured replies). */
export function requestCount(structured: boolean): number {
  return structured ? 5 : 4;
}

/** Issues the workload's calls at once; resolves when every one has ended. */
export function runWorkload(client: NbdClient, shape: WorkloadShape): Promise<Settled[]> {
  const [[o1, n1], [o2, n2]] = shape.reads;
  const into = Buffer.alloc(n2 + 100, FILL);
  const calls: [string, Observable<unknown>][] = [
    ['read', client.read(o1, n1)],
    ['read-into', client.read(o2, n2, { into, intoOffset: 100 })],
    ['write', client.write(shape.write[0], Buffer.alloc(shape.write[1], 0x5a))],
    ['flush', client.flush()],
    ['block-status', client.blockStatus(...shape.blockStatus)],
  ];
  return Promise.all(calls.map(([name, call]) => settle(name, call))).then((settled) => {
    // The caller's buffer outside the destination is never touched.
    expect(into.subarray(0, 100).every((b) => b === FILL), 'bytes before intoOffset').to.equal(true);
    return settled;
  });
}

/** Checks one outcome: a coded error, or a success with plausible data. */
export function checkOutcome(s: Settled, shape: WorkloadShape, structured: boolean): void {
  if (!s.ok) {
    if (s.name === 'block-status' && !structured) {
      expect((s.error as { code?: string }).code).to.equal('RXB_UNSUPPORTED');
    }
    expectCoded(s.error, s.name);
    return;
  }
  if (s.name === 'read' || s.name === 'read-into') {
    const length = shape.reads[s.name === 'read' ? 0 : 1][1];
    expect(s.values).to.have.lengthOf(1);
    const data = s.values[0] as Buffer;
    expect(data.length).to.equal(length);
    // The server never sends FILL: one in the result is a byte no reply covered.
    if (s.name === 'read-into') expect(data.indexOf(FILL), 'a byte no reply covered').to.equal(-1);
  } else if (s.name === 'block-status') {
    const [offset, length] = shape.blockStatus;
    let at = offset;
    for (const e of s.values as { offset: number; length: number }[]) {
      expect(e.offset, 'extents are contiguous').to.equal(at);
      expect(e.length).to.be.greaterThan(0);
      at += e.length;
    }
    expect(at, 'extents cover the range').to.equal(offset + length);
  } else {
    // (void operations emit one `undefined` today; the API says "completes without a value")
    expect(s.values.every((v) => v === undefined), s.name).to.equal(true);
  }
}
