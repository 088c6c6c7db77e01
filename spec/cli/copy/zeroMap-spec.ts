import { expect } from 'chai';
import { ZeroMap } from '../../../src/cli/copy/zeroMap.js';
import type { Extent } from '../../../src/nbd/client/index.js';

describe('ZeroMap', () => {
  // Zeros at [100, 300) (two extents: a hole and an allocated zero range), data elsewhere, in windows of 200.
  const layout: Extent[] = [
    { offset: 0, length: 100, hole: false, zero: false },
    { offset: 100, length: 50, hole: true, zero: true },
    { offset: 150, length: 150, hole: false, zero: true },
    { offset: 300, length: 100, hole: true, zero: false },
  ];
  const asked: [number, number][] = [];
  const extents = async (offset: number, length: number) => {
    asked.push([offset, length]);
    return layout
      .filter((e) => e.offset + e.length > offset && e.offset < offset + length)
      .map((e) => {
        const start = Math.max(e.offset, offset);
        return { ...e, offset: start, length: Math.min(e.offset + e.length, offset + length) - start };
      });
  };

  beforeEach(() => asked.splice(0));

  it('answers from merged zero extents, window by window, asking once per window', async () => {
    const map = new ZeroMap(extents, 400, 200);
    const answers = await Promise.all([
      map.readsAsZeros(0, 100),
      map.readsAsZeros(100, 100),
      map.readsAsZeros(120, 60),
      map.readsAsZeros(90, 20),
      map.readsAsZeros(200, 100),
      map.readsAsZeros(250, 100),
      map.readsAsZeros(300, 100),
    ]);
    expect(answers).to.deep.equal([false, true, true, false, true, false, false]);
    expect(asked).to.deep.equal([[0, 200], [200, 200]]);
  });

  it('does not treat a hole without the zero flag as zeros', async () => {
    const map = new ZeroMap(extents, 400, 400);
    expect(await map.readsAsZeros(300, 100)).to.equal(false);
  });

  it('clips the last window to the size', async () => {
    const map = new ZeroMap(extents, 350, 200);
    await map.readsAsZeros(200, 100);
    expect(asked).to.deep.equal([[200, 150]]);
  });
});
