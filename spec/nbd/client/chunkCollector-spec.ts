import { expect } from 'chai';
import type { FramePart } from '../../../src/core/codec.js';
import type { NbdReplyHeader } from '../../../src/nbd/replyDecoder.js';
import { ChunkCollector } from '../../../src/nbd/client/chunkCollector.js';

const header: NbdReplyHeader = { tag: 1, final: true, kind: 'structured', error: 0, flags: 1, type: 0x8001, length: 10 };
const part = (payload: Buffer, offset: number, last: boolean): FramePart<NbdReplyHeader> => ({ header, payload, offset, last });

describe('ChunkCollector', () => {
  it('hands a chunk that came whole straight back, without a copy', () => {
    const payload = Buffer.from('0123456789');
    expect(new ChunkCollector().push(part(payload, 0, true))).to.equal(payload);
  });

  it('joins copies of the parts, so a reused receive buffer cannot change them', () => {
    const c = new ChunkCollector();
    const receive = Buffer.from('01234');
    expect(c.push(part(receive, 0, false))).to.equal(undefined);
    receive.write('xxxxx');
    expect(c.push(part(Buffer.from('56789'), 5, true))!.toString()).to.equal('0123456789');
  });

  it('keeps at most keepBytes of a longer payload', () => {
    const c = new ChunkCollector(7);
    c.push(part(Buffer.from('01234'), 0, false));
    expect(c.push(part(Buffer.from('56789'), 5, true))!.toString()).to.equal('0123456');
    expect(c.push(part(Buffer.from('0123456789'), 0, true))!.toString()).to.equal('0123456');
  });

  it('starts over at a part at offset 0', () => {
    const c = new ChunkCollector();
    c.push(part(Buffer.from('abc'), 0, false));
    c.push(part(Buffer.from('01234'), 0, false));
    expect(c.push(part(Buffer.from('56789'), 5, true))!.toString()).to.equal('0123456789');
  });
});
