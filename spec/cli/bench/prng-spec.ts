import { expect } from 'chai';
import { Prng } from '../../../src/cli/bench/prng.js';

describe('Prng', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const seqA = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).to.deep.equal(seqA);
    expect(Array.from({ length: 20 }, () => c.next())).to.not.deep.equal(seqA);
  });

  it('stays in range and covers it evenly', () => {
    const p = new Prng(1);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const x = p.next();
      expect(x >= 0 && x < 1).to.equal(true);
      buckets[p.below(10)]++;
    }
    for (const n of buckets) expect(n).to.be.within(9_500, 10_500);
  });
});
