import { expect } from 'chai';
import { microtaskScheduler } from '../../src/core/microtaskScheduler.js';

describe('microtaskScheduler', () => {
  it('runs work without delay after the current job and before promises queued later, timers and immediates', async () => {
    const order: string[] = [];
    setImmediate(() => order.push('immediate'));
    setTimeout(() => order.push('timeout'), 0);
    microtaskScheduler.schedule(() => order.push('work'));
    void Promise.resolve().then(() => order.push('promise'));
    order.push('sync');
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(order.slice(0, 3)).to.deep.equal(['sync', 'work', 'promise']);
    expect(order).to.include.members(['immediate', 'timeout']);
  });

  it('does not run work unsubscribed before its turn', async () => {
    let ran = false;
    const sub = microtaskScheduler.schedule(() => (ran = true));
    sub.unsubscribe();
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).to.equal(false);
  });

  it('passes the state, lets the work reschedule itself, and sends delayed work to a timer', async () => {
    const seen: number[] = [];
    await new Promise<void>((resolve) => {
      microtaskScheduler.schedule<number>(function (n) {
        seen.push(n!);
        if (n! < 3) this.schedule(n! + 1);
        else resolve();
      }, 0, 1);
    });
    expect(seen).to.deep.equal([1, 2, 3]);
    const started = performance.now();
    await new Promise<void>((resolve) => microtaskScheduler.schedule(() => resolve(), 20));
    expect(performance.now() - started).to.be.at.least(15);
  });
});
