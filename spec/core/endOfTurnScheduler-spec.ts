import { expect } from 'chai';
import { stat } from 'node:fs';
import { endOfTurnScheduler } from '../../src/core/endOfTurnScheduler.js';

describe('endOfTurnScheduler', () => {
  it('from an I/O callback, runs work after its microtasks and before the next timer', async () => {
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      stat('.', () => {
        // In the poll phase: the check phase (setImmediate) comes before the timers.
        setTimeout(() => {
          order.push('timer');
          resolve();
        }, 0);
        endOfTurnScheduler.schedule(() => order.push('end of turn'));
        void Promise.resolve().then(() => order.push('microtask'));
        order.push('sync');
      });
    });
    expect(order).to.deep.equal(['sync', 'microtask', 'end of turn', 'timer']);
  });

  it('does not run work unsubscribed before the turn ends, and leaves no handle behind', async () => {
    let ran = false;
    const sub = endOfTurnScheduler.schedule(() => (ran = true));
    sub.unsubscribe();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 5));
    expect(ran).to.equal(false);
    expect(sub.closed).to.equal(true);
  });

  it('reschedules from inside the work, with state, and hands delayed work to a timer', async () => {
    const states: number[] = [];
    await new Promise<void>((resolve) => {
      endOfTurnScheduler.schedule(function (state) {
        states.push(state!);
        if (state! < 3) this.schedule(state! + 1, state === 2 ? 5 : 0);
        else resolve();
      }, 0, 1);
    });
    expect(states).to.deep.equal([1, 2, 3]);
    const started = performance.now();
    await new Promise<void>((resolve) => endOfTurnScheduler.schedule(() => resolve(), 20));
    expect(performance.now() - started).to.be.at.least(15);
  });
});
