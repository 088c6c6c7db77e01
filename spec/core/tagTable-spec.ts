import { expect } from 'chai';
import fc from 'fast-check';
import { TagTable } from '../../src/core/tagTable.js';

type Op = { kind: 'set'; tag: number; value: number } | { kind: 'delete'; tag: number } | { kind: 'clear' };

describe('TagTable', () => {
  // Small tag ranges make probe runs collide and wrap; strided and huge tags check the hash.
  const tag = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 63 }).map((i) => i * 1024));
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), tag, value: fc.integer() }) },
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('delete' as const), tag }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
  );

  it('behaves like a Map of tags under any sequence of set, delete and clear', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200, size: 'max' }), fc.integer({ min: 1, max: 100 }), (ops, capacity) => {
        const table = new TagTable<number>(capacity);
        const model = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === 'set') {
            table.set(o.tag, o.value);
            model.set(o.tag, o.value);
          } else if (o.kind === 'delete') {
            expect(table.delete(o.tag)).to.equal(model.delete(o.tag));
          } else {
            table.clear();
            model.clear();
          }
          expect(table.size).to.equal(model.size);
          for (const [t, v] of model) expect(table.get(t), `tag ${t}`).to.equal(v);
        }
        expect(table.values().sort((a, b) => a - b)).to.deep.equal([...model.values()].sort((a, b) => a - b));
        for (let t = 0; t <= 40; t++) expect(table.has(t)).to.equal(model.has(t));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a churn of consecutive tags in a table the size of what is live', () => {
    const table = new TagTable<object>(16);
    for (let t = 1; t <= 100_000; t++) {
      table.set(t, {});
      if (t > 32) table.delete(t - 32);
    }
    expect(table.size).to.equal(32);
    // 33 entries at the peak need 128 slots (at most half full); the churn itself did not grow the arrays.
    expect((table as unknown as { slots: unknown[] }).slots.length).to.equal(128);
  });

  it('rejects a tag that is not an unsigned 32-bit integer', () => {
    const table = new TagTable<number>();
    for (const bad of [-1, 1.5, 2 ** 32, NaN]) expect(() => table.set(bad, 1)).to.throw(RangeError);
  });
});
