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

  it('answers from merged zero extents, clipped to the range, window by window, asking once per window', async () => {
    const map = new ZeroMap(extents, 400, 200);
    const answers = await Promise.all([
      map.zerosWithin(0, 100),
      map.zerosWithin(100, 100),
      map.zerosWithin(120, 60),
      map.zerosWithin(90, 20),
      map.zerosWithin(200, 100),
      map.zerosWithin(250, 100),
      map.zerosWithin(300, 100),
    ]);
    expect(answers).to.deep.equal([[], [100, 200], [120, 180], [100, 110], [200, 300], [250, 300], []]);
    expect(asked).to.deep.equal([[0, 200], [200, 200]]);
  });

  it('lists every zero range within a range, the first and last clipped', async () => {
    const holes = async (offset: number, length: number): Promise<Extent[]> =>
      [10, 40, 90].map((start) => ({ offset: start, length: 10, hole: true, zero: true })).filter((e) => e.offset < offset + length);
    const map = new ZeroMap(holes, 100, 100);
    expect(await map.zerosWithin(15, 80)).to.deep.equal([15, 20, 40, 50, 90, 95]);
    expect(await map.zerosWithin(20, 20)).to.deep.equal([]);
  });

  it('does not treat a hole without the zero flag as zeros', async () => {
    const map = new ZeroMap(extents, 400, 400);
    expect(await map.zerosWithin(300, 100)).to.deep.equal([]);
  });

  it('clips the last window to the size', async () => {
    const map = new ZeroMap(extents, 350, 200);
    await map.zerosWithin(200, 100);
    expect(asked).to.deep.equal([[200, 150]]);
  });

  it('asks for the next window as soon as one is first used, so lanes crossing into it need not wait', async () => {
    const map = new ZeroMap(extents, 400, 100);
    expect(await map.zerosWithin(0, 50)).to.deep.equal([]);
    expect(asked).to.deep.equal([[0, 100], [100, 100]]);
    expect(await map.zerosWithin(100, 100)).to.deep.equal([100, 200]);
    expect(await map.zerosWithin(150, 50)).to.deep.equal([150, 200]);
    expect(asked).to.deep.equal([[0, 100], [100, 100], [200, 100]]);
    await map.zerosWithin(300, 100);
    expect(asked).to.deep.equal([[0, 100], [100, 100], [200, 100], [300, 100]]);
  });

  it('a prefetch that fails fails the lane that then asks, not the process', async () => {
    const failing = async (offset: number, length: number) => {
      if (offset >= 100) throw new Error('block status refused');
      return extents(offset, length);
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const map = new ZeroMap(failing, 400, 100);
      expect(await map.zerosWithin(0, 100)).to.deep.equal([]);
      // Give an unhandled rejection the time to be reported.
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).to.deep.equal([]);
      const err = await map.zerosWithin(100, 100).catch((e: Error) => e);
      expect((err as Error).message).to.equal('block status refused');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
