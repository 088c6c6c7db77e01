import { expect } from 'chai';
import fc from 'fast-check';
import { ReadCoverage } from '../../../src/nbd/client/readCoverage.js';

describe('ReadCoverage', () => {
  it('counts chunks that arrive in order', () => {
    const c = new ReadCoverage(100);
    expect([c.add(0, 40), c.add(40, 0), c.add(40, 60)]).to.deep.equal([true, true, true]);
    expect(c.covered).to.equal(100);
  });

  it('accepts chunks out of order that do not overlap', () => {
    const c = new ReadCoverage(100);
    expect([c.add(50, 50), c.add(0, 10), c.add(10, 40)]).to.deep.equal([true, true, true]);
    expect(c.covered).to.equal(100);
  });

  it('refuses a range delivered twice, so a count equal to the length cannot hide a gap', () => {
    const c = new ReadCoverage(100);
    expect(c.add(0, 50)).to.equal(true);
    expect(c.add(0, 50)).to.equal(false);
    expect(c.add(40, 20)).to.equal(false);
    expect(c.covered).to.equal(50);
  });

  it('refuses a range outside the request', () => {
    const c = new ReadCoverage(100);
    expect([c.add(-1, 2), c.add(90, 11), c.add(100, 1)]).to.deep.equal([false, false, false]);
    expect(c.covered).to.equal(0);
  });

  it('agrees with a byte map on any sequence of ranges', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.array(fc.tuple(fc.integer({ min: -5, max: 305 }), fc.nat(120)), { maxLength: 12 }), (length, ranges) => {
        const c = new ReadCoverage(length);
        const bytes = new Uint8Array(length);
        for (const [start, size] of ranges) {
          const fits = start >= 0 && start + size <= length && !bytes.subarray(start, start + size).some((b) => b === 1);
          expect(c.add(start, size)).to.equal(fits);
          if (fits) bytes.fill(1, start, start + size);
        }
        expect(c.covered).to.equal(bytes.reduce((n, b) => n + b, 0));
      }),
    );
  });
});
