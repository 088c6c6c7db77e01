import { expect } from 'chai';
import { SCENARIOS, scenarioDrivers } from '../../src/lab/scenarios.js';

describe('scenarioDrivers', () => {
  const GiB = 1 << 30;
  it('mixed: a writer keeping 128 × 1 MiB outstanding beside a 64 KiB reader one at a time, in separate regions', () => {
    const [writer, reader] = scenarioDrivers('mixed', GiB);
    expect(writer).to.include({ depth: 128, size: 1 << 20, readFraction: 0, pattern: 'sequential' });
    expect(reader).to.include({ depth: 1, size: 64 << 10, readFraction: 1 });
    expect(reader!.region.start).to.be.at.least(writer!.region.start + writer!.region.length);
  });

  it('small: 4 KiB random at depth 32, half reads', () => {
    expect(scenarioDrivers('small', GiB)).to.deep.equal([
      { name: 'io', depth: 32, size: 4096, readFraction: 0.5, region: { start: 0, length: 64 << 20 }, pattern: 'random' },
    ]);
  });

  it('keeps every region inside a small export, and refuses a tiny one or an unknown name', () => {
    for (const name of SCENARIOS) {
      for (const d of scenarioDrivers(name, 8 << 20)) expect(d.region.start + d.region.length).to.be.at.most(8 << 20);
    }
    expect(() => scenarioDrivers('mixed', 1 << 20)).to.throw(/too small/);
    expect(() => scenarioDrivers('nope' as never, GiB)).to.throw(/unknown scenario/);
  });
});
