import { expect } from 'chai';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { SendAheadPolicy } from '../../src/core/sendAheadPolicy.js';

const KiB = 1024;
const narrow = { sendAheadBytes: 256 * KiB, batchTargetBytes: 64 * KiB };
const wide = { sendAheadBytes: 1024 * KiB, batchTargetBytes: 1024 * KiB };

function limits(p: SendAheadPolicy) {
  return { sendAheadBytes: p.sendAheadBytes, batchTargetBytes: p.batchTargetBytes };
}

describe('SendAheadPolicy', () => {
  const options = { narrowBytes: 256 * KiB, narrowBatchBytes: 64 * KiB, wideBytes: 1024 * KiB };

  it('starts wide: a fresh connection has had no command and no full send queue', () => {
    expect(limits(new SendAheadPolicy(options))).to.deep.equal(wide);
  });

  it('narrows at a write the kernel does not take whole, and widens after 4 × wideBytes written whole', () => {
    const p = new SendAheadPolicy(options);
    p.onWrite(512 * KiB, true);
    expect(limits(p)).to.deep.equal(wide);
    p.onWrite(28, false);
    expect(limits(p)).to.deep.equal(narrow);
    for (let i = 0; i < 15; i++) p.onWrite(256 * KiB, true);
    expect(limits(p)).to.deep.equal(narrow);
    p.onWrite(256 * KiB, true);
    expect(limits(p)).to.deep.equal(wide);
  });

  it('narrows at each command, and counts the bulk bytes afresh after it', () => {
    const p = new SendAheadPolicy(options);
    p.onCommand();
    expect(limits(p)).to.deep.equal(narrow);
    for (let i = 0; i < 15; i++) p.onWrite(256 * KiB, true);
    p.onCommand();
    p.onWrite(256 * KiB, true);
    expect(limits(p)).to.deep.equal(narrow);
    for (let i = 0; i < 15; i++) p.onWrite(256 * KiB, true);
    expect(limits(p)).to.deep.equal(wide);
  });

  it('stays narrow while commands come between bulk writes, however fast the kernel takes them', () => {
    const p = new SendAheadPolicy(options);
    for (let i = 0; i < 1000; i++) {
      for (let j = 0; j < 12; j++) p.onWrite(256 * KiB, true);
      p.onCommand();
      expect(limits(p)).to.deep.equal(narrow);
    }
  });

  it('stays narrow on a slow link, where bulk writes keep finding the send queue full', () => {
    const p = new SendAheadPolicy(options);
    for (let i = 0; i < 1000; i++) {
      for (let j = 0; j < 12; j++) p.onWrite(256 * KiB, true);
      p.onWrite(256 * KiB, false);
      expect(limits(p)).to.deep.equal(narrow);
    }
  });

  it('never goes below the narrow limits, and keeps them throughout with wideBytes 0', () => {
    expect(limits(new SendAheadPolicy({ ...options, wideBytes: 32 * KiB }))).to.deep.equal({ sendAheadBytes: 256 * KiB, batchTargetBytes: 64 * KiB });
    const off = new SendAheadPolicy({ ...options, wideBytes: 0 });
    expect(limits(off)).to.deep.equal(narrow);
    for (let i = 0; i < 10; i++) off.onWrite(1024 * KiB, true);
    expect(limits(off)).to.deep.equal(narrow);
  });

  it('refuses limits that would stop sending', () => {
    expect(() => new SendAheadPolicy({ ...options, narrowBytes: 0 })).to.throw(InvalidArgumentError);
    expect(() => new SendAheadPolicy({ ...options, narrowBatchBytes: 0 })).to.throw(InvalidArgumentError);
    expect(() => new SendAheadPolicy({ ...options, wideBytes: -1 })).to.throw(InvalidArgumentError);
    expect(() => new SendAheadPolicy({ ...options, wideBytes: Number.NaN })).to.throw(InvalidArgumentError);
  });
});
