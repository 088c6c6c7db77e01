import { expect } from 'chai';
import sinon from 'sinon';
import { resolveModel, type DeviceModel } from '../../src/device/model.js';
import { ServiceQueue } from '../../src/device/serviceQueue.js';

describe('ServiceQueue', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'] });
  });
  afterEach(() => {
    clock.restore();
  });

  const model = (over: Partial<DeviceModel>) => resolveModel({ base: 'unlimited', ...over });

  it('answers at once, in order, when the service time is zero', () => {
    const done: number[] = [];
    const q = new ServiceQueue<number>(model({}), (j) => done.push(j));
    q.submit(1, 'read');
    q.submit(2, 'write');
    expect(done).to.deep.equal([1, 2]);
    expect(clock.countTimers()).to.equal(0);
  });

  it('keeps each job in service for its service time', () => {
    const done: [number, number][] = [];
    const q = new ServiceQueue<number>(model({ serviceTimeMs: { distribution: 'fixed', meanMs: 5 } }), (j) => done.push([j, performance.now()]));
    q.submit(1, 'read');
    clock.tick(2);
    q.submit(2, 'read');
    clock.tick(2.5);
    expect(done).to.deep.equal([]);
    clock.tick(1);
    expect(done.map((d) => d[0])).to.deep.equal([1]);
    expect(done[0][1]).to.be.within(5, 6);
    clock.tick(10);
    expect(done.map((d) => d[0])).to.deep.equal([1, 2]);
    expect(clock.countTimers()).to.equal(0);
  });

  it('serves at most `parallel` jobs at once; the rest wait in FIFO order', () => {
    const done: [number, number][] = [];
    const q = new ServiceQueue<number>(model({ parallel: 2, serviceTimeMs: { distribution: 'fixed', meanMs: 10 } }), (j) => done.push([j, Math.round(performance.now())]));
    for (let i = 1; i <= 5; i++) q.submit(i, 'write');
    expect(q.inService).to.equal(2);
    expect(q.waiting).to.equal(3);
    clock.tick(100);
    expect(done.map((d) => d[0]).sort()).to.deep.equal([1, 2, 3, 4, 5]);
    // Three rounds of 10 ms: 2 + 2 + 1 jobs.
    expect(done.map((d) => d[1])).to.deep.equal([10, 10, 20, 20, 30]);
    expect(q.waiting).to.equal(0);
  });

  it('injects errors at the configured rate, reproducibly', () => {
    const run = () => {
      const failed: boolean[] = [];
      const q = new ServiceQueue<number>(model({ seed: 9, faults: { errorRate: { read: 0.3 } } }), (_j, f) => failed.push(f));
      for (let i = 0; i < 2000; i++) q.submit(i, 'read');
      for (let i = 0; i < 100; i++) q.submit(i, 'write');
      return failed;
    };
    const a = run();
    expect(a).to.deep.equal(run());
    const readFailures = a.slice(0, 2000).filter(Boolean).length;
    expect(readFailures / 2000).to.be.closeTo(0.3, 0.05);
    expect(a.slice(2000).some(Boolean)).to.equal(false);
  });

  it('completes nothing inside a stall window', () => {
    const done: [number, number][] = [];
    const q = new ServiceQueue<number>(
      model({ serviceTimeMs: { distribution: 'fixed', meanMs: 1 }, faults: { stall: { afterMs: 10, durationMs: 50, everyMs: 100 } } }),
      (j) => done.push([j, Math.round(performance.now())]),
    );
    q.submit(1, 'read'); // done at 1
    clock.tick(9.5);
    q.submit(2, 'read'); // would be done at 10.5: inside the stall, so at 60
    clock.tick(20);
    q.submit(3, 'read'); // starts inside the stall: done at 61
    clock.tick(100);
    q.submit(4, 'read'); // t = 129.5: inside the next window [110, 160), done at 161
    clock.tick(100);
    // Fake timers run a re-armed immediate 1 ms later, so allow 1 ms of slack.
    expect(done.map((d) => d[0])).to.deep.equal([1, 2, 3, 4]);
    const expected = [1, 60, 61, 161];
    done.forEach(([, t], i) => expect(t).to.be.within(expected[i], expected[i] + 1));
  });

  it('close drops pending jobs and leaves no timer', () => {
    const done: number[] = [];
    const q = new ServiceQueue<number>(model({ parallel: 1, serviceTimeMs: { distribution: 'fixed', meanMs: 10 } }), (j) => done.push(j));
    q.submit(1, 'read');
    q.submit(2, 'read');
    q.close();
    expect(clock.countTimers()).to.equal(0);
    q.submit(3, 'read');
    clock.tick(100);
    expect(done).to.deep.equal([]);
  });
});
