import { expect } from 'chai';
import { ReadSeries } from '../../src/lab/readSeries.js';

describe('ReadSeries', () => {
  it('keeps every point when there are few', () => {
    const s = new ReadSeries(1000, 100);
    s.add(10, 1);
    s.add(500, 2);
    expect(s.points()).to.deep.equal([[10, 1], [500, 2]]);
  });

  it('bounds the points and never loses a stall', () => {
    const s = new ReadSeries(10_000, 200);
    for (let t = 0; t < 10_000; t += 0.5) s.add(t, t === 4321 ? 2500 : 0.3 + (t % 3) / 10);
    const points = s.points();
    expect(points.length).to.be.at.most(200);
    expect(points).to.deep.include([4321, 2500]);
    expect(Math.min(...points.map((p) => p[1]))).to.be.closeTo(0.3, 1e-9);
    for (let i = 1; i < points.length; i++) expect(points[i]![0]).to.be.at.least(points[i - 1]![0]);
  });

  it('keeps points that come after the expected duration', () => {
    const s = new ReadSeries(100, 10);
    s.add(5000, 7);
    expect(s.points()).to.deep.equal([[5000, 7]]);
  });
});
