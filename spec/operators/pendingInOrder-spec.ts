import { expect } from 'chai';
import fc from 'fast-check';
import { PendingInOrder } from '../../operators/internal/pendingInOrder.js';

interface Rec {
  readonly tag: number;
}

type Op = { kind: 'add' | 'delete'; index: number } | { kind: 'clear' };

describe('PendingInOrder', () => {
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 10, arbitrary: fc.record({ kind: fc.constantFrom('add' as const, 'delete' as const), index: fc.integer({ min: 0, max: 199 }) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
  );

  it('answers like a Set in insertion order under any sequence of add, delete and clear', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300, size: 'max' }), (ops) => {
        const records: Rec[] = Array.from({ length: 200 }, (_, i) => ({ tag: i + 1 }));
        const pending = new PendingInOrder<Rec>();
        const model = new Set<Rec>();
        for (const o of ops) {
          if (o.kind === 'clear') {
            pending.clear();
            model.clear();
          } else if (o.kind === 'add') {
            const r = records[o.index];
            expect(pending.add(r)).to.equal(!model.has(r));
            model.add(r);
          } else {
            const r = records[o.index];
            expect(pending.delete(r)).to.equal(model.delete(r));
          }
          const inOrder = [...model];
          expect(pending.size).to.equal(model.size);
          expect(pending.oldest()).to.equal(inOrder[0]);
          expect(pending.firstOnes(16)).to.deep.equal(inOrder.slice(0, 16));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('holds on to no more settled records than about twice the pending ones while an old request stays', () => {
    const pending = new PendingInOrder<Rec>();
    const stuck = { tag: 1 };
    pending.add(stuck);
    for (let t = 2; t < 100_000; t++) {
      const r = { tag: t };
      pending.add(r);
      pending.delete(r);
    }
    expect(pending.oldest()).to.equal(stuck);
    expect(pending.size).to.equal(1);
    expect((pending as unknown as { order: unknown[] }).order.length).to.be.at.most(2 + 64 + 1);
  });
});
