import { expect } from 'chai';
import { DemandGate } from '../../src/core/demandGate.js';

describe('DemandGate', () => {
  it('gives the current demand on subscription, then changes only', () => {
    const gate = new DemandGate();
    const seen: boolean[] = [];
    gate.creditObserver.next(false);
    gate.demand$.subscribe((v) => seen.push(v));
    gate.creditObserver.next(false);
    gate.readyObserver.next(false);
    gate.creditObserver.next(true);
    gate.readyObserver.next(true);
    gate.readyObserver.next(true);
    expect(seen).to.deep.equal([false, true]);
  });

  it('is open only while credit, readiness and the send-ahead allowance all are', () => {
    const gate = new DemandGate();
    const seen: boolean[] = [];
    gate.demand$.subscribe((v) => seen.push(v));
    gate.sendAheadOpen = false;
    expect(gate.sendAheadOpen).to.equal(false);
    gate.creditObserver.next(false);
    gate.sendAheadOpen = true;
    gate.creditObserver.next(true);
    gate.readyObserver.next(false);
    gate.readyObserver.next(true);
    expect(seen).to.deep.equal([true, false, true, false, true]);
  });

  it('shows the sink readiness before the demand change it causes is emitted', () => {
    const order: string[] = [];
    const gate = new DemandGate();
    gate.demand$.subscribe((v) => order.push(`demand ${v}, sink ready ${gate.sinkReady}`));
    gate.readyObserver.next(false);
    expect(order).to.deep.equal(['demand true, sink ready true', 'demand false, sink ready false']);
  });

  it('hands a change made from inside a change on at once (prioritize re-reads demand before every emission)', () => {
    const gate = new DemandGate();
    const seen: string[] = [];
    gate.readyObserver.next(false);
    gate.demand$.subscribe((v) => {
      seen.push(`enter ${v}`);
      // Opening lets prioritize emit, and its emission fills the window.
      if (v) gate.creditObserver.next(false);
      seen.push(`leave ${v}`);
    });
    gate.readyObserver.next(true);
    expect(seen).to.deep.equal(['enter false', 'leave false', 'enter true', 'enter false', 'leave false', 'leave true']);
  });
});
