import { expect } from 'chai';
import { ProtocolError, UnknownTagError } from '../../../src/core/errors.js';
import { LabRequest } from '../../../src/lab/arch/labRequest.js';
import { SimpleReplyReader, type ReplyHandler } from '../../../src/lab/arch/simpleReplyReader.js';
import { Command, SIMPLE_REPLY_MAGIC } from '../../../src/nbd/protocol.js';

function reply(tag: number, errno: number, payload?: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32BE(SIMPLE_REPLY_MAGIC, 0);
  h.writeUInt32BE(errno, 4);
  h.writeBigUInt64BE(BigInt(tag), 8);
  return payload ? Buffer.concat([h, payload]) : h;
}

function request(tag: number, command: Command, length: number): LabRequest {
  const dest = command === Command.Read ? Buffer.alloc(length) : undefined;
  return new LabRequest(tag, command, length, Buffer.alloc(28), undefined, dest, () => {}, undefined, 0);
}

class Recorder implements ReplyHandler {
  readonly events: string[] = [];
  stopAfter = new Set<number>();
  constructor(readonly pending: Map<number, LabRequest>) {}
  lookup(tag: number) {
    return this.pending.get(tag);
  }
  replied(req: LabRequest, errno: number) {
    this.events.push(`R${req.tag}:${errno}`);
  }
  completed(req: LabRequest) {
    this.events.push(`C${req.tag}:${req.dest ? req.dest.toString('latin1') : ''}`);
    this.pending.delete(req.tag);
    return !this.stopAfter.has(req.tag);
  }
}

describe('SimpleReplyReader', () => {
  const stream = Buffer.concat([reply(7, 0, Buffer.from('abcdefgh')), reply(3, 0), reply(9, 5), reply(8, 0, Buffer.from('xyz'))]);
  const pendingSet = () =>
    new Map([
      [7, request(7, Command.Read, 8)],
      [3, request(3, Command.Write, 100)],
      [9, request(9, Command.Read, 4)], // an error reply carries no data
      [8, request(8, Command.Read, 3)],
    ]);
  const expected = ['R7:0', 'C7:abcdefgh', 'R3:0', 'C3:', 'R9:5', 'C9:\0\0\0\0', 'R8:0', 'C8:xyz'];

  it('parses replies out of order, with and without data, in one chunk', () => {
    const handler = new Recorder(pendingSet());
    expect(new SimpleReplyReader(handler).push(stream)).to.equal(stream.length);
    expect(handler.events).to.deep.equal(expected);
  });

  it('gives the same replies whatever byte the stream is split at', () => {
    for (let a = 0; a <= stream.length; a++) {
      for (let b = a; b <= stream.length; b += 5) {
        const handler = new Recorder(pendingSet());
        const reader = new SimpleReplyReader(handler);
        for (const part of [stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)]) expect(reader.push(part)).to.equal(part.length);
        expect(handler.events, `split at ${a}, ${b}`).to.deep.equal(expected);
      }
    }
  });

  it('stops after a reply when the handler asks, and goes on from where it stopped', () => {
    const handler = new Recorder(pendingSet());
    handler.stopAfter.add(3);
    const reader = new SimpleReplyReader(handler);
    const stoppedAt = reader.push(stream);
    expect(stoppedAt).to.equal(16 + 8 + 16);
    expect(handler.events).to.deep.equal(expected.slice(0, 4));
    expect(reader.push(stream, stoppedAt)).to.equal(stream.length);
    expect(handler.events).to.deep.equal(expected);
  });

  it('throws coded protocol errors for a bad magic and an unknown tag', () => {
    const bad = reply(7, 0);
    bad.writeUInt32BE(0xdeadbeef, 0);
    expect(() => new SimpleReplyReader(new Recorder(pendingSet())).push(bad)).to.throw(ProtocolError).with.property('code', 'NBD_BAD_MAGIC');
    expect(() => new SimpleReplyReader(new Recorder(pendingSet())).push(reply(42, 0))).to.throw(UnknownTagError);
  });
});
