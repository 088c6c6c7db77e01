/**
 * Generated transmission-phase reply streams for the hostile server: a
 * program of reply operations, each aimed at one of the requests the server
 * saw (by index), rendered to bytes once the real cookies are known. Valid
 * replies are mixed with wrong magics, lying lengths (0, 2^32 − 1), unknown
 * chunk types with and without the error bit, cookies never sent, replies
 * replayed for requests already completed, missing DONE flags and chunks
 * past the requested range.
 */
import fc from 'fast-check';
import {
  encodeBlockStatusChunk, encodeChunkHeader, encodeNoneChunk, encodeOffsetDataHeader, encodeOffsetHole,
  encodeSimpleReply,
} from '../../src/nbd/replyEncoder.js';
import { AllocationFlag, ChunkType, Command, ReplyFlag } from '../../src/nbd/protocol.js';
import type { SeenRequest } from './harness.js';
import { FILL, patternBytes } from './workload.js';

export type ReplyOp =
  /**
   * A correct whole reply (READ data in `pieces` chunks, some holes, maybe out
   * of order; status; NONE), unless twisted: the last READ chunk replaced by
   * a copy of the first (same byte count, one range twice, one never), or no
   * DONE flag anywhere.
   */
  | { kind: 'valid'; target: number; pieces: number; holes: number; rotate: number; trailingNone: boolean; twist: Twist }
  | { kind: 'simple'; target: number; errno: number; withData: boolean }
  | { kind: 'data'; target: number; rel: number; size: number; done: boolean }
  | { kind: 'hole'; target: number; rel: number; size: number; done: boolean }
  /** An ERROR (or ERROR_OFFSET) chunk; long messages make it arrive in several parts. */
  | { kind: 'error'; target: number; errno: number; messageLength: number; atOffset: boolean; done: boolean }
  | { kind: 'status'; target: number; ours: boolean; extents: [number, number][]; done: boolean }
  | { kind: 'none'; target: number; flags: number }
  /** A chunk header whose length field may lie about the payload that follows. */
  | { kind: 'chunk'; target: number; flags: number; type: number; length: number; payload: Uint8Array }
  | { kind: 'foreignCookie'; cookie: bigint }
  | { kind: 'replay'; back: number }
  | { kind: 'badMagic'; magic: number; rest: Uint8Array }
  | { kind: 'bytes'; bytes: Uint8Array };

export type Twist = 'none' | 'duplicate' | 'noDone';

const target = fc.nat(15);
const twist = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Twist>('none') },
  { weight: 1, arbitrary: fc.constant<Twist>('duplicate') },
  { weight: 1, arbitrary: fc.constant<Twist>('noDone') },
);
const errno = fc.oneof(fc.constantFrom(1, 5, 12, 22, 28, 75, 95, 108), fc.nat());
const length = fc.oneof(
  fc.constantFrom(0, 1, 8, 9, 12, 0xffffffff, 0x7fffffff, 64 * 1024 * 1024 + 1),
  fc.nat(70_000),
  fc.nat(70_000 / 8).map((n) => 4 + 8 * n), // a plausible BLOCK_STATUS length
);
const chunkType = fc.oneof(
  fc.constantFrom(ChunkType.None, ChunkType.OffsetData, ChunkType.OffsetHole, ChunkType.BlockStatus, ChunkType.Error, ChunkType.ErrorOffset),
  fc.integer({ min: 0, max: 0x7fff }), // unknown, no error bit
  fc.integer({ min: 0x8000, max: 0xffff }), // unknown, error bit
);

export const replyOpArb: fc.Arbitrary<ReplyOp> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('valid' as const), target, pieces: fc.integer({ min: 1, max: 3 }), holes: fc.nat(7), rotate: fc.nat(2), trailingNone: fc.boolean(), twist }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('simple' as const), target, errno: fc.oneof(fc.constant(0), errno), withData: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('data' as const), target, rel: fc.integer({ min: -16, max: 70_000 }), size: fc.integer({ min: 1, max: 24_000 }), done: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('hole' as const), target, rel: fc.integer({ min: -16, max: 70_000 }), size: fc.oneof(fc.nat(70_000), fc.constant(0xffffffff)), done: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('error' as const), target, errno, messageLength: fc.oneof(fc.nat(40), fc.nat(65_535)), atOffset: fc.boolean(), done: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('status' as const), target, ours: fc.boolean(), extents: fc.array(fc.tuple(fc.oneof(fc.nat(70_000), fc.constant(0xffffffff)), fc.nat(3)), { minLength: 1, maxLength: 4 }), done: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('none' as const), target, flags: fc.nat(3) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('chunk' as const), target, flags: fc.nat(3), type: chunkType, length, payload: fc.uint8Array({ maxLength: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('foreignCookie' as const), cookie: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replay' as const), back: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('badMagic' as const), magic: fc.nat(0xffffffff), rest: fc.uint8Array({ minLength: 12, maxLength: 24 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }) },
);

/**
 * Renders a program for the requests the server saw. Without structured
 * replies a 'valid' reply is a simple one; everything else is sent as
 * generated (a structured chunk is then itself a protocol violation).
 */
export function renderReplies(ops: readonly ReplyOp[], seen: readonly SeenRequest[], structured: boolean, contextId: number): Buffer {
  const rendered: Buffer[] = [];
  for (const op of ops) {
    const bytes = op.kind === 'replay'
      ? (rendered.length > 0 ? rendered[Math.max(0, rendered.length - 1 - op.back)] : Buffer.alloc(0))
      : renderOne(op, seen, structured, contextId);
    rendered.push(bytes);
  }
  const stream = Buffer.concat(rendered);
  // Whatever a reply claims, FILL never comes from the server (see workload.ts).
  for (let i = stream.indexOf(FILL); i >= 0; i = stream.indexOf(FILL, i + 1)) stream[i] = FILL + 1;
  return stream;
}

function renderOne(op: Exclude<ReplyOp, { kind: 'replay' }>, seen: readonly SeenRequest[], structured: boolean, contextId: number): Buffer {
  switch (op.kind) {
    case 'foreignCookie':
      return encodeNoneChunk(op.cookie);
    case 'badMagic': {
      const b = Buffer.concat([Buffer.alloc(4), Buffer.from(op.rest)]);
      b.writeUInt32BE(op.magic, 0);
      return b;
    }
    case 'bytes':
      return Buffer.from(op.bytes);
    default:
      break;
  }
  if (seen.length === 0) return Buffer.alloc(0);
  const r = seen[op.target % seen.length];
  const c = r.cookie;
  const done = (d: boolean) => (d ? ReplyFlag.Done : 0);
  switch (op.kind) {
    case 'valid':
      return structured ? validStructured(r, op, contextId) : validSimple(r);
    case 'simple':
      return op.errno === 0 && op.withData && r.type === Command.Read
        ? Buffer.concat([encodeSimpleReply(c, 0), patternBytes(r.offset, r.length)])
        : encodeSimpleReply(c, op.errno);
    case 'data':
      return Buffer.concat([encodeOffsetDataHeader(c, done(op.done), Math.max(0, r.offset + op.rel), op.size), patternBytes(r.offset + op.rel, op.size)]);
    case 'hole':
      return encodeOffsetHole(c, done(op.done), Math.max(0, r.offset + op.rel), op.size);
    case 'error':
      return errorChunk(c, done(op.done), op.errno, op.messageLength, op.atOffset ? r.offset : undefined);
    case 'status':
      return encodeBlockStatusChunk(c, done(op.done), op.ours ? contextId : contextId + 1, op.extents.map(([length, flags]) => ({ length, flags })));
    case 'none':
      return encodeChunkHeader(c, op.flags, ChunkType.None, 0);
    case 'chunk':
      return Buffer.concat([encodeChunkHeader(c, op.flags, op.type, op.length), Buffer.from(op.payload)]);
  }
}

/** An error chunk with a message of any length (the encoder refuses proto.md's illegal ones). */
function errorChunk(cookie: bigint, flags: number, errno: number, messageLength: number, offset?: number): Buffer {
  const length = 6 + messageLength + (offset === undefined ? 0 : 8);
  const payload = Buffer.alloc(length, 'm');
  payload.writeUInt32BE(errno >>> 0, 0);
  payload.writeUInt16BE(messageLength, 4);
  if (offset !== undefined) payload.writeBigUInt64BE(BigInt(offset), 6 + messageLength);
  const type = offset === undefined ? ChunkType.Error : ChunkType.ErrorOffset;
  return Buffer.concat([encodeChunkHeader(cookie, flags, type, length), payload]);
}

function validSimple(r: SeenRequest): Buffer {
  const header = encodeSimpleReply(r.cookie, 0);
  return r.type === Command.Read ? Buffer.concat([header, patternBytes(r.offset, r.length)]) : header;
}

/** READ: data and hole chunks covering the request exactly, rotated out of order; BLOCK_STATUS: extents covering it. */
function validStructured(r: SeenRequest, op: Extract<ReplyOp, { kind: 'valid' }>, contextId: number): Buffer {
  const c = r.cookie;
  if (r.type === Command.BlockStatus) {
    const half = Math.max(1, r.length >> 1);
    const extents = r.length > half ? [{ length: half, flags: AllocationFlag.Hole | AllocationFlag.Zero }, { length: r.length - half, flags: 0 }] : [{ length: r.length, flags: 0 }];
    const done = op.twist === 'noDone' ? 0 : ReplyFlag.Done;
    return Buffer.concat([encodeBlockStatusChunk(c, op.trailingNone ? 0 : done, contextId, extents), ...(op.trailingNone ? [encodeChunkHeader(c, done, ChunkType.None, 0)] : [])]);
  }
  if (r.type !== Command.Read || r.length === 0) return op.twist === 'noDone' ? Buffer.alloc(0) : encodeNoneChunk(c);
  const pieces = Math.min(op.pieces, r.length);
  const bounds = Array.from({ length: pieces + 1 }, (_, i) => Math.floor((r.length * i) / pieces));
  const chunks = Array.from({ length: pieces }, (_, i) => {
    const at = r.offset + bounds[i];
    const size = bounds[i + 1] - bounds[i];
    return (op.holes >> i) & 1
      ? (flags: number) => encodeOffsetHole(c, flags, at, size)
      : (flags: number) => Buffer.concat([encodeOffsetDataHeader(c, flags, at, size), patternBytes(at, size)]);
  });
  if (op.twist === 'duplicate' && pieces > 1) chunks[pieces - 1] = chunks[0];
  const order = chunks.map((_, i) => chunks[(i + op.rotate) % chunks.length]);
  const last = op.twist === 'noDone' ? -1 : order.length - 1;
  const out = order.map((chunk, i) => chunk(!op.trailingNone && i === last ? ReplyFlag.Done : 0));
  if (op.trailingNone && op.twist !== 'noDone') out.push(encodeNoneChunk(c));
  return Buffer.concat(out);
}
