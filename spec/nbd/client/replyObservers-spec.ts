import { expect } from 'chai';
import type { FramePart } from '../../../src/core/codec.js';
import { ReadPiece, type PieceParent } from '../../../src/nbd/client/replyObservers.js';
import { OffsetDataAssembler, type NbdReplyHeader } from '../../../src/nbd/replyDecoder.js';
import { ChunkType, ReplyFlag } from '../../../src/nbd/protocol.js';

/** An OFFSET_DATA chunk for export offset `at`, whole in one part. */
function data(at: number, bytes: Buffer, done: boolean): FramePart<NbdReplyHeader> {
  const payload = Buffer.alloc(8 + bytes.length);
  payload.writeBigUInt64BE(BigInt(at), 0);
  bytes.copy(payload, 8);
  const header: NbdReplyHeader = { tag: 1, final: done, kind: 'structured', error: 0, flags: done ? ReplyFlag.Done : 0, type: ChunkType.OffsetData, length: payload.length };
  return { header, payload, offset: 0, last: true };
}

function parent() {
  const seen: string[] = [];
  const p: PieceParent = { pieceDone: () => seen.push('done'), pieceFailed: (e) => seen.push((e as { code: string }).code) };
  return { p, seen };
}

describe('ReadPiece', () => {
  it('fails a reply that delivers one range twice and another never, though the byte count matches', () => {
    const { p, seen } = parent();
    const dest = Buffer.alloc(8, 0xee);
    const piece = new ReadPiece(p, new OffsetDataAssembler(), 100, 8, dest, 0);
    piece.next(data(100, Buffer.alloc(4, 1), false));
    piece.next(data(100, Buffer.alloc(4, 2), true));
    piece.complete();
    expect(seen).to.deep.equal(['NBD_BAD_CHUNK']);
  });

  it('after reset() (the request is replayed) takes the whole reply again', () => {
    const { p, seen } = parent();
    const dest = Buffer.alloc(8);
    const piece = new ReadPiece(p, new OffsetDataAssembler(), 100, 8, dest, 0);
    piece.next(data(100, Buffer.alloc(4, 1), false)); // then the connection was lost
    piece.reset();
    piece.next(data(104, Buffer.alloc(4, 2), false));
    piece.next(data(100, Buffer.alloc(4, 1), true));
    piece.complete();
    expect(seen).to.deep.equal(['done']);
    expect([...dest]).to.deep.equal([1, 1, 1, 1, 2, 2, 2, 2]);
  });
});
