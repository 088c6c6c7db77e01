import { expect } from 'chai';
import { PRESETS, drawServiceTime, mulberry32, resolveModel } from '../../src/device/model.js';

describe('device model', () => {
  it('has the gigabit, 10gigabit and unlimited presets', () => {
    expect(PRESETS.gigabit).to.include({ readBytesPerSecond: 110e6, writeBytesPerSecond: 110e6, parallel: 32 });
    expect(PRESETS.gigabit.serviceTimeMs).to.deep.equal({ distribution: 'fixed', meanMs: 0.1 });
    expect(PRESETS['10gigabit']).to.include({ readBytesPerSecond: 1.1e9, parallel: 64 });
    expect(PRESETS.unlimited.readBytesPerSecond).to.equal(Infinity);
  });

  it('resolves names and partial models over a base', () => {
    expect(resolveModel('gigabit')).to.deep.equal(PRESETS.gigabit);
    expect(resolveModel().name).to.equal('unlimited');
    const m = resolveModel({ base: 'gigabit', name: 'slow', parallel: 4, serviceTimeMs: { distribution: 'exponential', meanMs: 2 } });
    expect(m).to.include({ name: 'slow', parallel: 4, readBytesPerSecond: 110e6 });
    expect(m.serviceTimeMs).to.deep.equal({ distribution: 'exponential', meanMs: 2 });
    expect(resolveModel({ name: '10gigabit' }).parallel).to.equal(64);
    expect(resolveModel({ serviceTimeMs: { meanMs: 3 } as never }).serviceTimeMs).to.deep.equal({ distribution: 'fixed', meanMs: 3 });
    expect(resolveModel({ base: 'gigabit' })).to.not.equal(PRESETS.gigabit);
  });

  it('rejects unknown presets and invalid fields', () => {
    expect(() => resolveModel('floppy')).to.throw(/unknown device model/);
    expect(() => resolveModel({ parallel: 0 })).to.throw(/parallel/);
    expect(() => resolveModel({ readBytesPerSecond: -1 })).to.throw(/rates/);
    expect(() => resolveModel({ faults: { errorRate: { read: 2 } } })).to.throw(/error rate/);
    expect(() => resolveModel({ serviceTimeMs: { distribution: 'normal' as never, meanMs: 1 } })).to.throw(/distribution/);
  });

  it('mulberry32 is reproducible and uniform-ish', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    let sum = 0;
    for (let i = 0; i < 10000; i++) {
      const x = a();
      expect(x).to.equal(b());
      expect(x).to.be.within(0, 1 - Number.EPSILON);
      sum += x;
    }
    expect(sum / 10000).to.be.closeTo(0.5, 0.02);
    expect(mulberry32(1)()).to.not.equal(mulberry32(2)());
  });

  it('draws service times with the configured mean and clamp', () => {
    const rnd = mulberry32(7);
    expect(drawServiceTime({ distribution: 'fixed', meanMs: 0.1 }, rnd)).to.equal(0.1);
    const mean = (d: 'uniform' | 'exponential') => {
      let s = 0;
      for (let i = 0; i < 20000; i++) s += drawServiceTime({ distribution: d, meanMs: 2 }, rnd);
      return s / 20000;
    };
    expect(mean('uniform')).to.be.closeTo(2, 0.1);
    expect(mean('exponential')).to.be.closeTo(2, 0.1);
    for (let i = 0; i < 1000; i++) expect(drawServiceTime({ distribution: 'exponential', meanMs: 2, maxMs: 3 }, rnd)).to.be.at.most(3);
  });
});
