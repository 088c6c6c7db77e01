import { expect } from 'chai';
import { LatencyHistogram } from '../../src/lab/latencyHistogram.js';

describe('LatencyHistogram', () => {
  it('summarises nothing as zeros', () => {
    const s = new LatencyHistogram().summary();
    expect(s.count).to.equal(0);
    expect(s.p99Ms).to.equal(0);
    expect(s.maxMs).to.equal(0);
  });

  it('gives percentiles in ms and µs within 0.1 %', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.recordUs(i * 10); // 10 µs .. 10 ms
    const s = h.summary();
    expect(s.count).to.equal(1000);
    expect(s.p50Us).to.be.closeTo(5000, 5);
    expect(s.p99Us).to.be.closeTo(9900, 10);
    expect(s.p999Us).to.be.closeTo(9990, 10);
    expect(s.maxUs).to.be.closeTo(10000, 10);
    expect(s.minUs).to.equal(10);
    expect(s.meanUs).to.be.closeTo(5005, 5);
    expect(s.p50Ms).to.be.closeTo(5, 0.005);
    expect(s.maxMs).to.be.closeTo(10, 0.01);
  });

  it('keeps a multi-second stall beside sub-millisecond reads', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 999; i++) h.recordMs(0.2);
    h.recordMs(2500);
    const s = h.summary();
    expect(s.p50Ms).to.be.closeTo(0.2, 0.001);
    expect(s.p99Ms).to.be.closeTo(0.2, 0.001);
    expect(s.maxMs).to.be.closeTo(2500, 2.5);
  });

  it('grows past its initial range and ignores NaN and negative values', () => {
    const h = new LatencyHistogram();
    h.recordMs(120_000);
    h.recordMs(NaN);
    h.recordUs(-1);
    expect(h.count).to.equal(1);
    expect(h.maxUs).to.be.closeTo(120_000_000, 120_000);
  });

  it('never reports a percentile above the maximum', () => {
    const h = new LatencyHistogram();
    // 50298 µs lies in a 32 µs bucket whose upper edge is 50303 µs
    for (let i = 0; i < 98; i++) h.recordUs(1000);
    h.recordUs(50_298);
    h.recordUs(50_298);
    const s = h.summary();
    expect(s.p99Us).to.be.at.most(s.maxUs);
    expect(s.p999Us).to.be.at.most(s.maxUs);
  });

  it('forgets everything on reset', () => {
    const h = new LatencyHistogram();
    h.recordMs(1);
    h.reset();
    expect(h.count).to.equal(0);
    expect(h.percentileUs(99)).to.equal(0);
  });
});
