import { expect } from 'chai';
import { ByteAccumulator } from '../../src/nbd/byteAccumulator.js';
import { NbdHandshakeError } from '../../src/nbd/errors.js';
import { hex } from './bytes.js';

describe('nbd/byteAccumulator', () => {
  it('copies chunks in and reads fields past the cursor', () => {
    const acc = new ByteAccumulator(64, 2);
    const chunk = hex('0001 00000002');
    acc.push(chunk);
    chunk.fill(0xff);
    acc.push(hex('00000000 00000003'));
    expect(acc.length).to.equal(14);
    expect(acc.u16(0)).to.equal(1);
    expect(acc.u32(2)).to.equal(2);
    expect(acc.u64(6)).to.equal(3n);
    acc.consume(6);
    expect(acc.copy(0, 8)).to.deep.equal(hex('00000000 00000003'));
    expect(acc.takeAll()).to.deep.equal(hex('00000000 00000003'));
    expect(acc.length).to.equal(0);
  });

  it('reuses consumed room before growing, and never holds more than the cap', () => {
    const acc = new ByteAccumulator(8, 8);
    acc.push(hex('01020304 0506'));
    acc.consume(4);
    acc.push(hex('07080910 11'));
    expect(acc.takeAll()).to.deep.equal(hex('0506 07080910 11'));
    acc.push(hex('0102030405060708'));
    expect(() => acc.push(hex('09'))).to.throw(NbdHandshakeError).with.property('code', 'NBD_OPTION_TOO_BIG');
  });

  it('discards bytes buffered now and bytes still to come', () => {
    const acc = new ByteAccumulator(64);
    acc.push(hex('0102'));
    acc.discard(5);
    expect(acc.length).to.equal(0);
    acc.push(hex('0304'));
    expect(acc.length).to.equal(0);
    acc.push(hex('05 0607'));
    expect(acc.takeAll()).to.deep.equal(hex('0607'));
  });
});
