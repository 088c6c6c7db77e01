import { expect } from 'chai';
import type { FramePart } from '../../src/core/codec.js';
import { InvalidArgumentError, ProtocolError } from '../../src/core/errors.js';
import { NbdReplyDecoder, OffsetDataAssembler, type NbdReplyHeader } from '../../src/nbd/replyDecoder.js';
import { ChunkType, Command } from '../../src/nbd/protocol.js';
import { hex, runDecoder, splits } from './bytes.js';

// A READ of 8 bytes at 0x1000, answered out of order: the second half, then the first half with DONE.
const REPLY = hex(
  '668e33ef 0000 0001 00000000 00000005 0000000c  00000000 00001004 01020304' +
    '668e33ef 0001 0001 00000000 00000005 0000000c  00000000 00001000 0a0b0c0d',
);
const decoder = () =>
  new NbdReplyDecoder(() => ({ command: Command.Read, length: 8 }), { structuredReplies: true, maxPayloadBytes: 1024 });

function offsetDataChunk(offset: string, data: string): FramePart<NbdReplyHeader>[] {
  const payload = hex(offset + data);
  const bytes = Buffer.concat([hex('668e33ef 0001 0001 00000000 00000005'), Buffer.alloc(4), payload]);
  bytes.writeUInt32BE(payload.length, 16);
  return runDecoder(decoder(), [bytes]);
}

describe('nbd/offsetDataAssembler', () => {
  it('places each chunk at its offset within the request, whatever the parts (every split)', () => {
    for (const chunks of splits(REPLY)) {
      const assembler = new OffsetDataAssembler();
      const dest = Buffer.alloc(8, 0xee);
      const done: [number, number][] = [];
      let copied = 0;
      for (const part of runDecoder(decoder(), chunks)) {
        copied += assembler.push(part, 0x1000, 8, dest);
        if (part.last) done.push([assembler.offsetWithinRequest, assembler.dataLength]);
      }
      expect(dest).to.deep.equal(hex('0a0b0c0d 01020304'));
      expect(copied).to.equal(8);
      expect(done).to.deep.equal([[4, 4], [0, 4]]);
    }
  });

  it('writes at destStart in a larger destination', () => {
    const assembler = new OffsetDataAssembler();
    const dest = Buffer.alloc(12);
    for (const part of offsetDataChunk('00000000 00001002', 'aabb')) assembler.push(part, 0x1000n, 8, dest, 4);
    expect(dest).to.deep.equal(hex('00000000 0000aabb 00000000'));
  });

  it('refuses data outside the request with NBD_BAD_CHUNK', () => {
    const cases = [
      ['00000000 00000fff', 'aa'], // starts before
      ['00000000 00001007', 'aabb'], // ends after
      ['00200000 00000000', 'aa'], // above 2^53
      ['ffffffff ffffffff', 'aa'],
    ];
    for (const [offset, data] of cases) {
      const [part] = offsetDataChunk(offset, data);
      expect(() => new OffsetDataAssembler().push(part, 0x1000, 8, Buffer.alloc(8)), offset)
        .to.throw(ProtocolError)
        .with.property('code', 'NBD_BAD_CHUNK');
    }
  });

  it('refuses a destination too small for the request', () => {
    const [part] = offsetDataChunk('00000000 00001006', 'aabb');
    expect(() => new OffsetDataAssembler().push(part, 0x1000, 8, Buffer.alloc(10), 4)).to.throw(InvalidArgumentError);
  });

  it('refuses a chunk of another type', () => {
    const [part] = runDecoder(decoder(), [hex('668e33ef 0001 0002 00000000 00000005 0000000c 00000000 00001000 00000004')]);
    expect(part.header.type).to.equal(ChunkType.OffsetHole);
    expect(() => new OffsetDataAssembler().push(part, 0x1000, 8, Buffer.alloc(8))).to.throw(InvalidArgumentError);
  });

  it('refuses parts that do not follow each other', () => {
    const parts = runDecoder(decoder(), [REPLY.subarray(0, 24), REPLY.subarray(24, 28), REPLY.subarray(28)]);
    const assembler = new OffsetDataAssembler();
    assembler.push(parts[0], 0x1000, 8, Buffer.alloc(8));
    expect(() => assembler.push(parts[2], 0x1000, 8, Buffer.alloc(8))).to.throw(ProtocolError);
  });
});
