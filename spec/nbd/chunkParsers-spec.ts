import { expect } from 'chai';
import { ProtocolError } from '../../src/core/errors.js';
import {
  chunkOffsetWithinRequest,
  parseBlockStatus,
  parseErrorChunk,
  parseOffsetHole,
  readChunkOffset,
} from '../../src/nbd/replyDecoder.js';
import { ChunkType } from '../../src/nbd/protocol.js';
import { ascii, hex } from './bytes.js';

function expectBadChunk(fn: () => unknown): void {
  expect(fn).to.throw(ProtocolError).with.property('code', 'NBD_BAD_CHUNK');
}

describe('nbd/chunkParsers', () => {
  describe('parseErrorChunk', () => {
    it('parses ERROR: errno, message', () => {
      const payload = Buffer.concat([hex('00000005 0009'), ascii('I/O error')]);
      expect(parseErrorChunk(payload)).to.deep.equal({ errno: 5, message: 'I/O error' });
      expect(parseErrorChunk(payload, ChunkType.Error)).to.deep.equal({ errno: 5, message: 'I/O error' });
    });

    it('parses ERROR with an empty message', () => {
      expect(parseErrorChunk(hex('0000001c 0000'))).to.deep.equal({ errno: 28, message: '' });
    });

    it('parses ERROR_OFFSET: errno, message, then the offset', () => {
      const payload = Buffer.concat([hex('00000005 0003'), ascii('bad'), hex('00000001 00000200')]);
      expect(parseErrorChunk(payload, ChunkType.ErrorOffset)).to.deep.equal({
        errno: 5,
        message: 'bad',
        offset: 0x1_0000_0200n,
      });
    });

    it('decodes the message as UTF-8', () => {
      const payload = Buffer.concat([hex('00000001 0006'), Buffer.from('déjà', 'utf8')]);
      expect(parseErrorChunk(payload).message).to.equal('déjà');
    });

    it('parses the common prefix of an unknown error type', () => {
      expect(parseErrorChunk(hex('00000016 0000 ffff'), 0x8fff)).to.deep.equal({ errno: 22, message: '' });
    });

    it('refuses a message length past the payload', () => {
      expectBadChunk(() => parseErrorChunk(Buffer.concat([hex('00000005 0005'), ascii('oops')])));
      expectBadChunk(() => parseErrorChunk(hex('00000005 ffff')));
      // ERROR_OFFSET: the message may not eat the offset.
      expectBadChunk(() => parseErrorChunk(Buffer.concat([hex('00000005 0004'), ascii('oops'), hex('00000000 000000')]), ChunkType.ErrorOffset));
    });

    it('refuses a payload shorter than 6 bytes', () => {
      expectBadChunk(() => parseErrorChunk(hex('00000005 00')));
    });
  });

  describe('parseOffsetHole', () => {
    it('parses offset and size', () => {
      expect(parseOffsetHole(hex('00000002 00000000 00010000'))).to.deep.equal({ offset: 0x2_0000_0000n, size: 0x10000 });
    });

    it('refuses a wrong length or a zero size', () => {
      expectBadChunk(() => parseOffsetHole(hex('00000000 00000000 000100')));
      expectBadChunk(() => parseOffsetHole(hex('00000000 00000000 00010000 00')));
      expectBadChunk(() => parseOffsetHole(hex('00000000 00001000 00000000')));
    });
  });

  describe('parseBlockStatus', () => {
    it('parses the context id and extents', () => {
      const payload = hex('00000001  00001000 00000000  00002000 00000003  00000200 00000001');
      expect(parseBlockStatus(payload)).to.deep.equal({
        contextId: 1,
        extents: [
          { length: 0x1000, flags: 0 },
          { length: 0x2000, flags: 3 },
          { length: 0x200, flags: 1 },
        ],
      });
    });

    it('refuses no extents, a partial extent, or a zero-length extent', () => {
      expectBadChunk(() => parseBlockStatus(hex('00000001')));
      expectBadChunk(() => parseBlockStatus(hex('00000001 00001000 000000')));
      expectBadChunk(() => parseBlockStatus(hex('00000001 00001000 00000000 00000000 00000000')));
    });
  });

  describe('readChunkOffset', () => {
    it('reads the u64 offset at a position', () => {
      expect(readChunkOffset(hex('ff 00000001 00000002 aa'), 1)).to.equal(0x1_0000_0002n);
    });
  });

  describe('chunkOffsetWithinRequest', () => {
    it('returns where a range starts within the request', () => {
      expect(chunkOffsetWithinRequest(0x1000n, 0x200, 0x1000, 0x1000)).to.equal(0);
      expect(chunkOffsetWithinRequest(0x1e00, 0x200, 0x1000n, 0x1000)).to.equal(0xe00);
    });

    it('refuses ranges that start before or end after the request', () => {
      expectBadChunk(() => chunkOffsetWithinRequest(0xfff, 1, 0x1000, 0x1000));
      expectBadChunk(() => chunkOffsetWithinRequest(0x1e00, 0x201, 0x1000, 0x1000));
      expectBadChunk(() => chunkOffsetWithinRequest(2n ** 63n, 1, 0, 0x1000));
    });
  });
});
