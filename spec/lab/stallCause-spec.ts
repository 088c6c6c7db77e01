import { expect } from 'chai';
import type { StageRecord } from '../../src/lab/arch/types.js';
import { attributeStall, type CauseSample } from '../../src/lab/stallCause.js';

function rec(submitted: number, dispatched: number, replied: number, completed: number): StageRecord {
  return { op: 'read', length: 65536, failed: false, times: { submitted, dispatched, replied, completed } };
}
const quiet = (from: number, to: number): CauseSample[] => {
  const out: CauseSample[] = [];
  for (let t = from; t <= to; t += 100) out.push({ t, receiveQueued: 0, socketBuffered: 0, kernelQueued: 0 });
  return out;
};

describe('attributeStall', () => {
  it('send-backlog: the request sat in our queue (not dispatched) through the stall', () => {
    expect(attributeStall(0, 1500, [rec(0, 1450, 1490, 1500)], quiet(0, 1500))).to.equal('send-backlog');
  });

  it('device: dispatched at once, the reply came late, nothing queued anywhere', () => {
    expect(attributeStall(0, 1500, [rec(0, 1, 1499, 1500)], quiet(0, 1500))).to.equal('device');
  });

  it('socket-backpressure: dispatched, but the kernel queue toward the device was full', () => {
    const full = quiet(0, 1500).map((s) => ({ ...s, kernelQueued: 4 << 20 }));
    expect(attributeStall(0, 1500, [rec(0, 1, 1499, 1500)], full)).to.equal('socket-backpressure');
    const nodeBuffered = quiet(0, 1500).map((s) => ({ ...s, kernelQueued: null, socketBuffered: 1 << 20 }));
    expect(attributeStall(0, 1500, [rec(0, 1, 1499, 1500)], nodeBuffered)).to.equal('socket-backpressure');
  });

  it('send-backlog: the reply had arrived but waited in our receive queue behind sends', () => {
    const stuck = quiet(0, 1500).map((s) => ({ ...s, receiveQueued: 65552, socketBuffered: 1 << 20 }));
    expect(attributeStall(0, 1500, [rec(0, 1, 1499, 1500)], stuck)).to.equal('send-backlog');
  });

  it('slow-consumer: the reply was being received but not taken', () => {
    expect(attributeStall(0, 1500, [rec(0, 1, 2, 1500)], quiet(0, 1500))).to.equal('slow-consumer');
  });

  it('picks the request that completed at the end of the stall, and says unknown without one', () => {
    const early = rec(-10, -9, -8, 3); // done before the stall mattered
    const waiter = rec(0, 1, 1490, 1500);
    expect(attributeStall(0, 1500, [early, waiter], quiet(0, 1500))).to.equal('device');
    expect(attributeStall(0, 1500, [], quiet(0, 1500))).to.equal('unknown');
  });

  it('uses the nearest sample when none falls inside a short stall', () => {
    const samples: CauseSample[] = [{ t: 0, receiveQueued: 0, socketBuffered: 0, kernelQueued: 8 << 20 }];
    expect(attributeStall(40, 70, [rec(40, 41, 69, 70)], samples)).to.equal('socket-backpressure');
  });
});
