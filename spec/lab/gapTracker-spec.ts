import { expect } from 'chai';
import { GapTracker } from '../../src/lab/gapTracker.js';

describe('GapTracker', () => {
  it('measures the longest time without a completion while requests are pending', () => {
    const g = new GapTracker();
    g.started(0);
    g.started(1);
    g.finished(5); // 0..5
    g.finished(30); // 5..30: the longest
    g.started(100); // idle from 30 to 100 is no stall
    g.finished(110);
    expect(g.longestMs).to.equal(25);
    expect([g.longestStart, g.longestEnd]).to.deep.equal([5, 30]);
  });

  it('does not count idle time, and counts a wait still going at the close', () => {
    const g = new GapTracker();
    g.started(0);
    g.finished(1);
    g.started(50);
    g.close(90);
    expect([g.longestStart, g.longestEnd]).to.deep.equal([50, 90]);
    const idle = new GapTracker();
    idle.close(1000);
    expect(idle.longestMs).to.equal(0);
  });
});
