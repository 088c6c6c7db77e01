import { expect } from 'chai';
import fc from 'fast-check';
import { readU64Safe, writeU64 } from '../../src/nbd/u64.js';
import { hex } from './bytes.js';

describe('nbd/u64', () => {
  it('writes numbers as two u32 halves and bigints as they are', () => {
    const buf = Buffer.alloc(16);
    writeU64(buf, 0, 0x1_0000_0002);
    writeU64(buf, 8, 0xfedc_ba98_7654_3210n);
    expect(buf).to.deep.equal(hex('00000001 00000002 fedcba98 76543210'));
  });

  it('reads safe integers back and -1 above 2^53 - 1', () => {
    expect(readU64Safe(hex('001fffff ffffffff'), 0)).to.equal(Number.MAX_SAFE_INTEGER);
    expect(readU64Safe(hex('00200000 00000000'), 0)).to.equal(-1);
  });

  it('round-trips every safe integer, the same as writeBigUInt64BE', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        const a = Buffer.alloc(8);
        const b = Buffer.alloc(8);
        writeU64(a, 0, n);
        b.writeBigUInt64BE(BigInt(n));
        expect(a).to.deep.equal(b);
        expect(readU64Safe(a, 0)).to.equal(n);
      }),
    );
  });
});
