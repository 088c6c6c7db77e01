import { expect } from 'chai';
import { FrameTooLargeError, ProtocolError, UnknownTagError } from '../../src/core/errors.js';
import { NbdReplyDecoder, type NbdPendingInfo, type NbdReplyHeader } from '../../src/nbd/replyDecoder.js';
import { ChunkType, Command } from '../../src/nbd/protocol.js';
import { ascii, hex, runDecoder, splits, wholeFrames } from './bytes.js';

const PENDING = new Map<number, NbdPendingInfo>([
  [1, { command: Command.Write, length: 4 }],
  [2, { command: Command.Read, length: 4 }],
  [3, { command: Command.Read, length: 512 }],
  [0x1_0000_0002, { command: Command.Read, length: 8 }],
  [7, { command: Command.BlockStatus, length: 0x3000 }],
]);
const lookup = (tag: number) => PENDING.get(tag);
const structured = () => new NbdReplyDecoder(lookup, { structuredReplies: true, maxPayloadBytes: 1024 });
const simpleOnly = () => new NbdReplyDecoder(lookup, { structuredReplies: false, maxPayloadBytes: 1024 });

const NO_PAYLOAD = Buffer.alloc(0);
const simple = (tag: number, error: number, length: number): NbdReplyHeader =>
  ({ tag, final: true, kind: 'simple', error, flags: 0, type: -1, length });
const chunk = (tag: number, flags: number, type: number, length: number): NbdReplyHeader =>
  ({ tag, final: (flags & 1) === 1, kind: 'structured', error: 0, flags, type, length });

// Written out by hand from proto.md, field by field.
const FIXTURE: { bytes: Buffer; header: NbdReplyHeader; payload: Buffer }[] = [
  { bytes: hex('67446698 00000000 00000000 00000001'), header: simple(1, 0, 0), payload: NO_PAYLOAD },
  { bytes: hex('67446698 00000000 00000000 00000002 cafef00d'), header: simple(2, 0, 4), payload: hex('cafef00d') },
  { bytes: hex('67446698 00000005 00000000 00000003'), header: simple(3, 5, 0), payload: NO_PAYLOAD },
  {
    bytes: hex('668e33ef 0000 0001 00000001 00000002 0000000c  00000000 00001004 01020304'),
    header: chunk(0x1_0000_0002, 0, ChunkType.OffsetData, 12),
    payload: hex('00000000 00001004 01020304'),
  },
  {
    bytes: hex('668e33ef 0000 0002 00000001 00000002 0000000c  00000000 00001000 00000004'),
    header: chunk(0x1_0000_0002, 0, ChunkType.OffsetHole, 12),
    payload: hex('00000000 00001000 00000004'),
  },
  {
    bytes: hex('668e33ef 0000 0005 00000000 00000007 00000014  00000001 00001000 00000000 00002000 00000003'),
    header: chunk(7, 0, ChunkType.BlockStatus, 20),
    payload: hex('00000001 00001000 00000000 00002000 00000003'),
  },
  {
    bytes: Buffer.concat([
      hex('668e33ef 0000 8002 00000000 00000007 00000012  00000005 0004'),
      ascii('oops'),
      hex('00000000 00001000'),
    ]),
    header: chunk(7, 0, ChunkType.ErrorOffset, 18),
    payload: Buffer.concat([hex('00000005 0004'), ascii('oops'), hex('00000000 00001000')]),
  },
  {
    bytes: hex('668e33ef 0001 0000 00000001 00000002 00000000'),
    header: chunk(0x1_0000_0002, 1, ChunkType.None, 0),
    payload: NO_PAYLOAD,
  },
];
const STREAM = Buffer.concat(FIXTURE.map((f) => f.bytes));
const EXPECTED = FIXTURE.map(({ header, payload }) => ({ header, payload }));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('nbd/replyDecoder', () => {
  it('decodes simple replies and every chunk type at every split', () => {
    for (const chunks of splits(STREAM)) {
      expect(wholeFrames(runDecoder(structured(), chunks))).to.deep.equal(EXPECTED);
    }
  });

  it('decodes simple replies alone when structured replies were not negotiated', () => {
    const stream = Buffer.concat(FIXTURE.slice(0, 3).map((f) => f.bytes));
    for (const chunks of splits(stream)) {
      expect(wholeFrames(runDecoder(simpleOnly(), chunks))).to.deep.equal(EXPECTED.slice(0, 3));
    }
  });

  it('has a 4-byte prefix and a header length chosen by the magic', () => {
    const d = structured();
    expect(d.prefixLength).to.equal(4);
    expect(d.maxPayloadBytes).to.equal(1024);
    expect(d.headerLength(hex('67446698'), 0)).to.equal(16);
    expect(d.headerLength(hex('00 668e33ef'), 1)).to.equal(20);
  });

  it('reads the data length of a simple READ reply from the lookup, only on success', () => {
    let asked = 0;
    const d = new NbdReplyDecoder((tag) => (asked++, { command: Command.Read, length: tag * 10 }), {
      structuredReplies: false,
      maxPayloadBytes: 1 << 20,
    });
    expect(d.payloadLength(d.decodeHeader(hex('67446698 00000000 00000000 00000009'), 0))).to.equal(90);
    expect(d.payloadLength(d.decodeHeader(hex('67446698 0000000c 00000000 00000009'), 0))).to.equal(0);
    expect(asked).to.equal(2);
  });

  describe('hostile input', () => {
    it('refuses a bad magic with NBD_BAD_MAGIC', () => {
      expect(codeOf(() => runDecoder(structured(), [hex('25609513')]))).to.equal('NBD_BAD_MAGIC');
      expect(() => structured().decodeHeader(hex('96744668 00000000 00000000 00000001'), 0)).to.throw(ProtocolError);
    });

    it('refuses a structured chunk when structured replies were not negotiated', () => {
      expect(codeOf(() => runDecoder(simpleOnly(), [FIXTURE[7].bytes]))).to.equal('NBD_BAD_MAGIC');
    });

    it('throws UnknownTagError for a simple reply nobody waits for', () => {
      expect(() => runDecoder(structured(), [hex('67446698 00000000 00000000 00000063')]))
        .to.throw(UnknownTagError)
        .with.property('tag', 0x63);
    });

    it('throws UnknownTagError for a cookie of 2^53 or more', () => {
      expect(() => runDecoder(structured(), [hex('668e33ef 0001 0000 00200000 00000000 00000000')]))
        .to.throw(UnknownTagError)
        .with.property('tag', 2n ** 53n);
    });

    it('refuses chunk types and lengths proto.md forbids with NBD_BAD_CHUNK', () => {
      const bad = [
        '668e33ef 0000 0000 00000000 00000001 00000000', // NONE without DONE
        '668e33ef 0001 0000 00000000 00000001 00000001', // NONE with a payload
        '668e33ef 0000 0001 00000000 00000001 00000008', // OFFSET_DATA without data
        '668e33ef 0000 0002 00000000 00000001 0000000b', // OFFSET_HOLE of 11 bytes
        '668e33ef 0000 0005 00000000 00000001 00000008', // BLOCK_STATUS without extents
        '668e33ef 0000 0005 00000000 00000001 00000010', // BLOCK_STATUS of 4 + 12 bytes
        '668e33ef 0001 8001 00000000 00000001 00000005', // ERROR shorter than 6
        '668e33ef 0001 8002 00000000 00000001 0000000d', // ERROR_OFFSET shorter than 14
        '668e33ef 0001 8fff 00000000 00000001 00000004', // unknown error type shorter than 6
        '668e33ef 0001 0003 00000000 00000001 00000000', // unknown type without the error bit
      ];
      for (const fixture of bad) expect(codeOf(() => runDecoder(structured(), [hex(fixture)])), fixture).to.equal('NBD_BAD_CHUNK');
    });

    it('passes an unknown error chunk type on (it fails the request, not the connection)', () => {
      const [part] = runDecoder(structured(), [hex('668e33ef 0001 8fff 00000000 00000001 00000006 00000005 0000')]);
      expect(part.header).to.deep.equal(chunk(1, 1, 0x8fff, 6));
    });

    it('lets frame() refuse a chunk above maxPayloadBytes', () => {
      expect(() => runDecoder(structured(), [hex('668e33ef 0001 0001 00000000 00000001 00000409')])).to.throw(
        FrameTooLargeError,
      );
    });
  });
});
