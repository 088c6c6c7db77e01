import { expect } from 'chai';
import { encodeRequest } from '../../src/nbd/requestEncoder.js';
import { Command, CommandFlag } from '../../src/nbd/protocol.js';
import { hex } from './bytes.js';

describe('nbd/requestEncoder', () => {
  it('encodes a WRITE header: magic, flags, type, cookie, offset, length', () => {
    const buf = encodeRequest(Command.Write, CommandFlag.Fua, 0x1_0000_0002, 0x12_3456_789a, 4096);
    expect(buf).to.deep.equal(hex('25609513 0001 0001 00000001 00000002 00000012 3456789a 00001000'));
  });

  it('writes a bigint offset the same as a number offset', () => {
    const viaNumber = encodeRequest(Command.Read, 0, 7, 2 ** 40 + 5, 512);
    const viaBigint = encodeRequest(Command.Read, 0, 7, 2n ** 40n + 5n, 512);
    expect(viaNumber).to.deep.equal(hex('25609513 0000 0000 00000000 00000007 00000100 00000005 00000200'));
    expect(viaBigint).to.deep.equal(viaNumber);
  });

  it('writes the largest safe tag and offset exactly', () => {
    const max = Number.MAX_SAFE_INTEGER;
    const buf = encodeRequest(Command.BlockStatus, CommandFlag.ReqOne, max, max, 0xffffffff);
    expect(buf).to.deep.equal(hex('25609513 0008 0007 001fffff ffffffff 001fffff ffffffff ffffffff'));
  });

  it('writes offsets above 2^53 given as bigint', () => {
    const buf = encodeRequest(Command.Trim, 0, 1, 0xfedcba9876543210n, 1);
    expect(buf.subarray(16, 24)).to.deep.equal(hex('fedcba98 76543210'));
  });

  it('encodes DISC with zero offset and length', () => {
    expect(encodeRequest(Command.Disc, 0, 0, 0, 0)).to.deep.equal(
      hex('25609513 0000 0002 00000000 00000000 00000000 00000000 00000000'),
    );
  });

  it('returns a fresh 28-byte buffer each time', () => {
    const a = encodeRequest(Command.Flush, 0, 1, 0, 0);
    const b = encodeRequest(Command.Flush, 0, 2, 0, 0);
    expect(a.length).to.equal(28);
    expect(a.readUInt32BE(12)).to.equal(1);
    expect(b.readUInt32BE(12)).to.equal(2);
  });

  it('refuses values that do not fit their fields', () => {
    expect(() => encodeRequest(Command.Read, 0, -1, 0, 0)).to.throw(RangeError);
    expect(() => encodeRequest(Command.Read, 0, 1, -1, 0)).to.throw(RangeError);
    expect(() => encodeRequest(Command.Read, 0, 1, 0, 2 ** 32)).to.throw(RangeError);
    expect(() => encodeRequest(Command.Read, 0x10000, 1, 0, 0)).to.throw(RangeError);
  });
});
