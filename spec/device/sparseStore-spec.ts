import { expect } from 'chai';
import fc from 'fast-check';
import { SparseStore } from '../../src/device/sparseStore.js';

describe('SparseStore', () => {
  it('reads zeros before anything is written and allocates nothing', () => {
    const s = new SparseStore(1n << 30n);
    expect(s.read(12345, 100).equals(Buffer.alloc(100))).to.equal(true);
    expect(s.allocatedBytes).to.equal(0);
    expect(s.extents(0, 1 << 30)).to.deep.equal([{ length: 1 << 30, hole: true, zero: true }]);
  });

  it('allocates only the blocks a write touches', () => {
    const s = new SparseStore(1 << 20, 4096);
    s.write(4000, Buffer.alloc(200, 7)); // spans blocks 0 and 1
    expect(s.allocatedBytes).to.equal(8192);
    expect(s.read(3999, 202)).to.deep.equal(Buffer.concat([Buffer.alloc(1), Buffer.alloc(200, 7), Buffer.alloc(1)]));
  });

  it('reads into a caller buffer at an offset, overwriting stale bytes with zeros for holes', () => {
    const s = new SparseStore(16384, 4096);
    s.write(4096, Buffer.alloc(4096, 1));
    const dest = Buffer.alloc(8192 + 10, 0xff);
    const view = s.read(0, 8192, dest, 10);
    expect(view.length).to.equal(8192);
    expect(dest.subarray(0, 10).every((b) => b === 0xff)).to.equal(true);
    expect(dest.subarray(10, 4106).every((b) => b === 0)).to.equal(true);
    expect(dest.subarray(4106).every((b) => b === 1)).to.equal(true);
  });

  it('reads as views of the blocks, without copying, merging holes', () => {
    const s = new SparseStore(8 * 4096, 4096);
    s.write(4096, Buffer.alloc(4096, 5));
    const views: Buffer[] = [Buffer.from('header')];
    expect(s.readViews(100, 4 * 4096, views)).to.equal(4 * 4096);
    expect(views.map((v) => v.length)).to.deep.equal([6, 3996, 4096, 8292]);
    expect(views[2].every((b) => b === 5)).to.equal(true);
    expect(views[1].every((b) => b === 0) && views[3].every((b) => b === 0)).to.equal(true);
    // A view aliases its block.
    s.write(4096, Buffer.from([9]));
    expect(views[2][0]).to.equal(9);
  });

  it('trim frees whole blocks and zeroes partial ones', () => {
    const s = new SparseStore(16384, 4096);
    s.write(0, Buffer.alloc(16384, 9));
    s.trim(2048, 8192); // half of 0, all of 1, half of 2
    expect(s.allocatedBytes).to.equal(3 * 4096);
    expect(s.read(0, 16384)).to.deep.equal(Buffer.concat([Buffer.alloc(2048, 9), Buffer.alloc(8192), Buffer.alloc(6144, 9)]));
    expect(s.extents(0, 16384)).to.deep.equal([
      { length: 4096, hole: false, zero: false },
      { length: 4096, hole: true, zero: true },
      { length: 8192, hole: false, zero: false },
    ]);
  });

  it('zero with noHole keeps blocks allocated and reports them as allocated zero', () => {
    const s = new SparseStore(1 << 30, 65536);
    s.zero(0, 1 << 30, { noHole: true });
    expect(s.allocatedBytes).to.equal(1 << 30);
    expect(s.extents(0, 1 << 30)).to.deep.equal([{ length: 1 << 30, hole: false, zero: true }]);
    s.write(10, Buffer.from([1]));
    expect(s.read(0, 12)).to.deep.equal(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]));
    expect(s.read(65536, 4).equals(Buffer.alloc(4))).to.equal(true);
    expect(s.extents(0, 131072)).to.deep.equal([
      { length: 65536, hole: false, zero: false },
      { length: 65536, hole: false, zero: true },
    ]);
  });

  it('extents are clipped to the range and capped by maxExtents', () => {
    const s = new SparseStore(8 * 4096, 4096);
    s.write(4096, Buffer.alloc(1, 1));
    s.write(3 * 4096, Buffer.alloc(1, 1));
    expect(s.extents(100, 5000)).to.deep.equal([
      { length: 3996, hole: true, zero: true },
      { length: 1004, hole: false, zero: false },
    ]);
    expect(s.extents(0, 8 * 4096, 1)).to.deep.equal([{ length: 4096, hole: true, zero: true }]);
    expect(s.extents(0, 0)).to.deep.equal([]);
  });

  it('rejects ranges past the end and invalid numbers', () => {
    const s = new SparseStore(1000, 64);
    expect(() => s.read(990, 11)).to.throw(/past the end/);
    expect(() => s.write(-1, Buffer.alloc(1))).to.throw(/offset/);
    expect(() => s.trim(0.5, 1)).to.throw(/offset/);
    expect(() => s.zero(0, Number.NaN)).to.throw(/length/);
    expect(() => new SparseStore(2n ** 60n)).to.throw(/Number|safe/);
    expect(() => new SparseStore(-1)).to.throw(/size/);
    expect(() => s.read(0, 10, Buffer.alloc(5))).to.throw(/destination/);
  });

  it('behaves like a flat buffer under random operations', () => {
    const size = 5000;
    const op = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), offset: fc.nat(size), data: fc.uint8Array({ maxLength: 700 }) }),
      fc.record({ kind: fc.constant('trim' as const), offset: fc.nat(size), length: fc.nat(900) }),
      fc.record({ kind: fc.constant('zero' as const), offset: fc.nat(size), length: fc.nat(900), noHole: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.integer({ min: 1, max: 300 }), (ops, blockSize) => {
        const store = new SparseStore(size, blockSize);
        const flat = Buffer.alloc(size);
        for (const o of ops) {
          if (o.kind === 'write') {
            const data = o.data.subarray(0, size - o.offset);
            store.write(o.offset, data);
            flat.set(data, o.offset);
          } else {
            const length = Math.min(o.length, size - o.offset);
            if (o.kind === 'trim') store.trim(o.offset, length);
            else store.zero(o.offset, length, { noHole: o.noHole });
            flat.fill(0, o.offset, o.offset + length);
          }
        }
        expect(store.read(0, size).equals(flat)).to.equal(true);
        const views: Buffer[] = [];
        expect(store.readViews(0, size, views)).to.equal(size);
        expect(Buffer.concat(views).equals(flat)).to.equal(true);
        // Extents tile the range, and every run claimed zero reads as zeros.
        let pos = 0;
        for (const e of store.extents(0, size)) {
          expect(e.length).to.be.greaterThan(0);
          if (e.hole) expect(e.zero).to.equal(true);
          if (e.zero) expect(flat.subarray(pos, pos + e.length).every((b) => b === 0)).to.equal(true);
          pos += e.length;
        }
        expect(pos).to.equal(size);
      }),
      { numRuns: 300 },
    );
  });
});
