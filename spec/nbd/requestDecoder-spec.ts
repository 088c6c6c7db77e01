import { expect } from 'chai';
import { FrameTooLargeError, ProtocolError } from '../../src/core/errors.js';
import { NbdRequestDecoder, type NbdRequestHeader } from '../../src/nbd/requestDecoder.js';
import { encodeRequest } from '../../src/nbd/requestEncoder.js';
import { Command, CommandFlag } from '../../src/nbd/protocol.js';
import { hex, runDecoder, splits, wholeFrames } from './bytes.js';

const READ = hex('25609513 0000 0000 00000000 00000001 00000000 00001000 00000200');
const WRITE = hex('25609513 0001 0001 00000001 00000002 00000012 3456789a 00000004 deadbeef');
const DISC = hex('25609513 0000 0002 00000000 00000003 00000000 00000000 00000000');
const STREAM = Buffer.concat([READ, WRITE, DISC]);

const EXPECTED: { header: NbdRequestHeader; payload: Buffer }[] = [
  {
    header: { tag: 1, final: true, type: Command.Read, flags: 0, cookie: 1n, offset: 0x1000n, length: 512 },
    payload: Buffer.alloc(0),
  },
  {
    header: {
      tag: 0x1_0000_0002,
      final: true,
      type: Command.Write,
      flags: CommandFlag.Fua,
      cookie: 0x1_0000_0002n,
      offset: 0x12_3456_789an,
      length: 4,
    },
    payload: hex('deadbeef'),
  },
  {
    header: { tag: 3, final: true, type: Command.Disc, flags: 0, cookie: 3n, offset: 0n, length: 0 },
    payload: Buffer.alloc(0),
  },
];

describe('nbd/requestDecoder', () => {
  const decoder = () => new NbdRequestDecoder({ maxPayloadBytes: 1024 });

  it('decodes READ, WRITE (with payload) and DISC at every split', () => {
    for (const chunks of splits(STREAM)) {
      expect(wholeFrames(runDecoder(decoder(), chunks))).to.deep.equal(EXPECTED);
    }
  });

  it('reads what encodeRequest writes', () => {
    const header = encodeRequest(Command.WriteZeroes, CommandFlag.NoHole | CommandFlag.FastZero, 99, 2 ** 45, 65536);
    const [part] = runDecoder(decoder(), [header]);
    expect(part.header).to.deep.equal({
      tag: 99,
      final: true,
      type: Command.WriteZeroes,
      flags: 0x12,
      cookie: 99n,
      offset: 2n ** 45n,
      length: 65536,
    });
    expect(part.payload.length).to.equal(0);
  });

  it('keeps a cookie above 2^53 exact', () => {
    const buf = hex('25609513 0000 0003 ffffffff fffffffe 00000000 00000000 00000000');
    const [part] = runDecoder(decoder(), [buf]);
    expect(part.header.cookie).to.equal(0xffff_ffff_ffff_fffen);
  });

  it('passes unknown command types on (the server answers EINVAL)', () => {
    const buf = hex('25609513 0000 00ff 00000000 00000009 00000000 00000000 00000010');
    const [part] = runDecoder(decoder(), [buf]);
    expect(part.header.type).to.equal(0xff);
    expect(part.payload.length).to.equal(0);
  });

  it('refuses a bad magic as soon as the first 4 bytes are in', () => {
    expect(() => runDecoder(decoder(), [hex('67446698')]))
      .to.throw(ProtocolError)
      .with.property('code', 'NBD_BAD_MAGIC');
    expect(() => decoder().decodeHeader(hex('12560953'), 0)).to.throw(ProtocolError);
  });

  it('lets frame() refuse a WRITE above maxPayloadBytes', () => {
    const big = hex('25609513 0000 0001 00000000 00000001 00000000 00000000 00000401');
    expect(() => runDecoder(decoder(), [big])).to.throw(FrameTooLargeError);
    expect(decoder().maxPayloadBytes).to.equal(1024);
  });

  it('counts no payload for a READ of any length', () => {
    const big = hex('25609513 0000 0000 00000000 00000001 00000000 00000000 ffffffff');
    const [part] = runDecoder(decoder(), [big]);
    expect(part.header.length).to.equal(0xffffffff);
    expect(part.last).to.equal(true);
  });
});
