import { expect } from 'chai';
import { LatencyBudget } from '../../src/core/latencyBudget.js';
import { InvalidArgumentError } from '../../src/core/errors.js';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('LatencyBudget', () => {
  const options = { targetMs: 5, minBytes: 256 * KiB, maxBytes: 8 * MiB };

  it('keeps its full budget while commands see only their service time, however slow', () => {
    const budget = new LatencyBudget(options);
    for (let t = 0; t < 1000; t += 10) budget.observe(40, t);
    expect(budget.limit).to.equal(8 * MiB);
  });

  it('shrinks once per target interval while commands queue past the target, never below minBytes', () => {
    const budget = new LatencyBudget(options);
    budget.observe(1, 0);
    budget.observe(20, 1);
    expect(budget.limit).to.equal(Math.floor(8 * MiB * 0.7));
    // Late again within the same target interval: the same burst, no second cut.
    budget.observe(20, 3);
    expect(budget.limit).to.equal(Math.floor(8 * MiB * 0.7));
    for (let t = 10; t < 1000; t += 5) budget.observe(20, t);
    expect(budget.limit).to.equal(256 * KiB);
  });

  it('grows back by a quarter of minBytes per command well within the target, up to maxBytes', () => {
    const budget = new LatencyBudget(options, 256 * KiB);
    budget.observe(1, 0);
    expect(budget.limit).to.equal(256 * KiB + 64 * KiB);
    for (let t = 1; t < 1000; t++) budget.observe(1, t);
    expect(budget.limit).to.equal(8 * MiB);
  });

  it('forgets an old baseline, so a device that became slower is not taken for a queue', () => {
    const budget = new LatencyBudget({ ...options, baselineMs: 100 });
    budget.observe(1, 0);
    // The device now takes 30 ms per command: late against the old baseline at first…
    for (let t = 1; t < 250; t += 5) budget.observe(30, t);
    const shrunk = budget.limit;
    expect(shrunk).to.be.below(8 * MiB);
    // …then the baseline is 30 ms, and the budget grows back.
    for (let t = 250; t < 2000; t += 5) budget.observe(30, t);
    expect(budget.limit).to.equal(8 * MiB);
  });

  it('listens to commands of at most half of minBytes unless told otherwise', () => {
    expect(new LatencyBudget(options).probeMaxBytes).to.equal(128 * KiB);
    expect(new LatencyBudget({ ...options, probeMaxBytes: 4 * KiB }).probeMaxBytes).to.equal(4 * KiB);
  });

  it('rejects settings that cannot hold a request', () => {
    expect(() => new LatencyBudget({ targetMs: 0, minBytes: 1, maxBytes: 1 })).to.throw(InvalidArgumentError);
    expect(() => new LatencyBudget({ targetMs: 5, minBytes: 2, maxBytes: 1 })).to.throw(InvalidArgumentError);
    expect(() => new LatencyBudget({ ...options, shrinkFactor: 1 })).to.throw(InvalidArgumentError);
  });
});
