import { expect } from 'chai';
import { InvalidArgumentError } from '../../src/core/errors.js';
import {
  encodeBlockStatusChunk,
  encodeChunkHeader,
  encodeErrorChunk,
  encodeNoneChunk,
  encodeOffsetDataHeader,
  encodeOffsetHole,
  encodeSimpleReply,
} from '../../src/nbd/replyEncoder.js';
import {
  NbdReplyDecoder,
  OffsetDataAssembler,
  parseBlockStatus,
  parseErrorChunk,
  parseOffsetHole,
} from '../../src/nbd/replyDecoder.js';
import { ChunkType, Command, ReplyFlag } from '../../src/nbd/protocol.js';
import { ascii, hex, runDecoder, splits, wholeFrames } from './bytes.js';

describe('nbd/replyEncoder', () => {
  it('encodes a simple reply: magic, errno, cookie', () => {
    expect(encodeSimpleReply(5, 0)).to.deep.equal(hex('67446698 00000000 00000000 00000005'));
    expect(encodeSimpleReply(0xffff_ffff_ffff_fffen, 22)).to.deep.equal(hex('67446698 00000016 ffffffff fffffffe'));
  });

  it('encodes a chunk header: magic, flags, type, cookie, length', () => {
    expect(encodeChunkHeader(0x1_0000_0002, ReplyFlag.Done, ChunkType.OffsetData, 12)).to.deep.equal(
      hex('668e33ef 0001 0001 00000001 00000002 0000000c'),
    );
  });

  it('encodes an OFFSET_DATA header with the offset, counting the data beside it', () => {
    expect(encodeOffsetDataHeader(7, 0, 0x1000, 512)).to.deep.equal(
      hex('668e33ef 0000 0001 00000000 00000007 00000208 00000000 00001000'),
    );
    expect(encodeOffsetDataHeader(7n, 1, 0x1_0000_0000n, 1)).to.deep.equal(
      hex('668e33ef 0001 0001 00000000 00000007 00000009 00000001 00000000'),
    );
  });

  it('encodes OFFSET_HOLE', () => {
    expect(encodeOffsetHole(7, ReplyFlag.Done, 0x1000n, 4096)).to.deep.equal(
      hex('668e33ef 0001 0002 00000000 00000007 0000000c 00000000 00001000 00001000'),
    );
  });

  it('encodes ERROR, and ERROR_OFFSET when an offset is given', () => {
    expect(encodeErrorChunk(7, ReplyFlag.Done, 5, 'oops')).to.deep.equal(
      Buffer.concat([hex('668e33ef 0001 8001 00000000 00000007 0000000a 00000005 0004'), ascii('oops')]),
    );
    expect(encodeErrorChunk(7, 0, 5, 'oops', 0x1000)).to.deep.equal(
      Buffer.concat([
        hex('668e33ef 0000 8002 00000000 00000007 00000012 00000005 0004'),
        ascii('oops'),
        hex('00000000 00001000'),
      ]),
    );
    expect(encodeErrorChunk(7, 1, 28, '')).to.deep.equal(hex('668e33ef 0001 8001 00000000 00000007 00000006 0000001c 0000'));
  });

  it('encodes BLOCK_STATUS', () => {
    const extents = [
      { length: 0x1000, flags: 0 },
      { length: 0x2000, flags: 3 },
    ];
    expect(encodeBlockStatusChunk(7, ReplyFlag.Done, 1, extents)).to.deep.equal(
      hex('668e33ef 0001 0005 00000000 00000007 00000014 00000001 00001000 00000000 00002000 00000003'),
    );
  });

  it('encodes the final NONE chunk', () => {
    expect(encodeNoneChunk(7)).to.deep.equal(hex('668e33ef 0001 0000 00000000 00000007 00000000'));
  });

  it('refuses a BLOCK_STATUS chunk without extents and a message NBD forbids', () => {
    expect(() => encodeBlockStatusChunk(7, 1, 1, [])).to.throw(InvalidArgumentError);
    expect(() => encodeErrorChunk(7, 1, 5, 'x'.repeat(4097))).to.throw(InvalidArgumentError);
  });

  it('round-trips a structured READ reply through the client decoder, at every split', () => {
    const data = hex('0102030405060708');
    const stream = Buffer.concat([
      encodeOffsetDataHeader(3, 0, 0x2004, 4),
      data.subarray(4),
      encodeOffsetHole(3, 0, 0x2000, 2),
      encodeOffsetDataHeader(3, 0, 0x2002, 2),
      data.subarray(2, 4),
      encodeErrorChunk(3, 0, 5, 'late', 0x2006),
      encodeBlockStatusChunk(4, ReplyFlag.Done, 1, [{ length: 8, flags: 3 }]),
      encodeSimpleReply(5, 0),
      data,
      encodeNoneChunk(3),
    ]);
    const pending = new Map([
      [3, { command: Command.Read, length: 8 }],
      [4, { command: Command.BlockStatus, length: 8 }],
      [5, { command: Command.Read, length: 8 }],
    ]);
    for (const chunks of splits(stream)) {
      const decoder = new NbdReplyDecoder((tag) => pending.get(tag), { structuredReplies: true, maxPayloadBytes: 64 });
      const parts = runDecoder(decoder, chunks);
      const assembler = new OffsetDataAssembler();
      const dest = Buffer.alloc(8, 0xee);
      for (const part of parts) if (part.header.type === ChunkType.OffsetData) assembler.push(part, 0x2000, 8, dest);
      const frames = wholeFrames(parts);
      expect(parseOffsetHole(frames[1].payload)).to.deep.equal({ offset: 0x2000n, size: 2 });
      dest.fill(0, 0, 2); // what the client does for the hole
      expect(dest).to.deep.equal(hex('0000 0304 05060708'));
      expect(parseErrorChunk(frames[3].payload, frames[3].header.type)).to.deep.equal({ errno: 5, message: 'late', offset: 0x2006n });
      expect(parseBlockStatus(frames[4].payload)).to.deep.equal({ contextId: 1, extents: [{ length: 8, flags: 3 }] });
      expect(frames[5]).to.deep.equal({
        header: { tag: 5, final: true, kind: 'simple', error: 0, flags: 0, type: -1, length: 8 },
        payload: data,
      });
      expect(frames.map((f) => [f.header.tag, f.header.final])).to.deep.equal([
        [3, false], [3, false], [3, false], [3, false], [4, true], [5, true], [3, true],
      ]);
    }
  });
});
