import { expect } from 'chai';
import { merge, take, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { RequestEvent, StallCause, StallEvent } from '../../src/core/events.js';
import { RequestRecord } from '../../src/core/request.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { detectStalls } from '../../operators/detectStalls.js';

const ignore = { next() {}, error() {}, complete() {} };

/** A record submitted at virtual time `at` (the frame of its 'submitted' event). */
function record(tag: number, at: number): RequestRecord {
  return new RequestRecord(tag, 'data', [], 0, 0, undefined, ignore, at);
}

function event(phase: RequestEvent['phase'], rec: RequestRecord, cls: string): RequestEvent {
  return { type: 'request', phase, record: rec, class: cls };
}

function stall(
  phase: 'start' | 'end',
  cls: string,
  startedAt: number,
  durationMs: number,
  tags: number[],
  pending: number,
  cause: StallCause = 'device',
): StallEvent {
  return { type: 'stall', phase, class: cls, startedAt, durationMs, tags, pending, cause };
}

/** Writes that keep completing: one submitted every other frame from `startFrame`, completed on the next. */
function busyWrites(count: number, { firstTag = 100, startFrame = 0, firstKey = 'a' } = {}) {
  let marble = '';
  const values: Record<string, RequestEvent> = {};
  for (let i = 0; i < count; i++) {
    const w = record(firstTag + i, startFrame + 2 * i);
    const key = firstKey.charCodeAt(0) + 2 * i;
    const [s, c] = [String.fromCharCode(key), String.fromCharCode(key + 1)];
    values[s] = event('submitted', w, 'write');
    values[c] = event('completed', w, 'write');
    marble += s + c;
  }
  return { marble, values };
}

describe('detectStalls', () => {
  let testScheduler: TestScheduler;
  /**
   * Scheduled actions left at the probe frame (cancelled, so the flush ends
   * even if one leaked). Hot sources schedule their marbles when the flush
   * starts, after the probe, so probe a frame after their last marble; they
   * schedule nothing beyond it, so 0 means no timer left.
   */
  let leftover: number | undefined;

  function probeActionsAt(frame: number): void {
    testScheduler.schedule(() => {
      leftover = testScheduler.actions.length;
      for (const action of [...testScheduler.actions]) action.unsubscribe();
    }, frame);
  }

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).to.deep.equal(expected));
    leftover = undefined;
  });

  it('reports nothing while requests finish under the threshold, and stops checking when idle', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const r1 = record(1, 0);
      const r2 = record(2, 8);
      const source = hot('a----b--c----d---', {
        a: event('submitted', r1, 'read'),
        b: event('completed', r1, 'read'),
        c: event('submitted', r2, 'read'),
        d: event('failed', r2, 'read'),
      });
      const stalls = source.pipe(detectStalls({ thresholdMs: 5, checkEveryMs: 1, cause: () => 'device', scheduler: testScheduler }));
      expectObservable(stalls).toBe('-----------------');
      probeActionsAt(15);
    });
    expect(leftover).to.equal(0);
  });

  it('reports a class stall while another class keeps completing, start and end', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const r1 = record(1, 0);
      const reads = hot('a--------b----|', { a: event('submitted', r1, 'read'), b: event('completed', r1, 'read') });
      const writes = busyWrites(7);
      const writes$ = hot(writes.marble + '|', writes.values);
      const options = { thresholdMs: { default: 10, read: 5 }, checkEveryMs: 1, cause: () => 'device' as const, scheduler: testScheduler };
      expectObservable(merge(reads, writes$).pipe(detectStalls(options))).toBe('------s--e----|', {
        s: stall('start', 'read', 0, 6, [1], 1),
        e: stall('end', 'read', 0, 9, [1], 0),
      });
      expectSubscriptions(reads.subscriptions).toBe('^-------------!');
      probeActionsAt(15);
    });
    expect(leftover).to.equal(0);
  });

  it('keeps a class stalled while its next oldest request has also waited too long', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const r1 = record(1, 0);
      const r2 = record(2, 2);
      const r3 = record(3, 10);
      const source = hot('a-b------cd-e-|', {
        a: event('submitted', r1, 'read'),
        b: event('submitted', r2, 'read'),
        c: event('completed', r1, 'read'),
        d: event('submitted', r3, 'read'),
        e: event('completed', r2, 'read'),
      });
      const options = { thresholdMs: { default: 100, read: 5 }, checkEveryMs: 1, cause: () => 'send-backlog' as const, scheduler: testScheduler };
      expectObservable(source.pipe(detectStalls(options))).toBe('------s-----e-|', {
        s: stall('start', 'read', 0, 6, [1, 2], 2, 'send-backlog'),
        e: stall('end', 'read', 0, 12, [1, 2], 1, 'send-backlog'),
      });
    });
  });

  it('names the cause from the oldest pending request', () => {
    const seen: number[] = [];
    const cause = (oldest: RequestRecord<any>): StallCause => {
      seen.push(oldest.tag);
      return oldest.tag === 7 ? 'socket-backpressure' : 'slow-consumer';
    };
    testScheduler.run(({ hot, expectObservable }) => {
      const r7 = record(7, 0);
      const r8 = record(8, 1);
      const r9 = record(9, 4);
      const source = hot('ab--c---d-----e-|', {
        a: event('submitted', r7, 'write'),
        b: event('submitted', r8, 'write'),
        c: event('submitted', r9, 'flush'),
        d: event('completed', r7, 'write'),
        e: event('completed', r9, 'flush'),
      });
      const options = { thresholdMs: { default: 6, write: 3, flush: 3 }, checkEveryMs: 1, cause, scheduler: testScheduler };
      expectObservable(source.pipe(detectStalls(options))).toBe('----s--S(ex)--E-|', {
        s: stall('start', 'write', 0, 4, [7, 8], 2, 'socket-backpressure'),
        S: stall('start', '*', 0, 7, [7, 8, 9], 3, 'socket-backpressure'),
        e: stall('end', '*', 0, 8, [7, 8, 9], 2, 'socket-backpressure'),
        x: stall('start', 'flush', 4, 4, [9], 1, 'slow-consumer'),
        E: stall('end', 'flush', 4, 10, [9], 0, 'slow-consumer'),
      });
    });
    expect(seen).to.deep.equal([7, 7, 9]);
  });

  it('reports a whole-connection stall when nothing completes for longer than the default threshold', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const r1 = record(1, 0);
      const w2 = record(2, 1);
      const source = hot('ab-------------c------------d--|', {
        a: event('submitted', r1, 'read'),
        b: event('submitted', w2, 'write'),
        c: event('completed', w2, 'write'),
        d: event('completed', r1, 'read'),
      });
      const options = {
        thresholdMs: { default: 10, read: 100, write: 100 },
        checkEveryMs: 1,
        cause: (oldest: RequestRecord<any>) => (oldest.tag === 1 ? 'device' : 'unknown') as StallCause,
        scheduler: testScheduler,
      };
      expectObservable(source.pipe(detectStalls(options))).toBe('-----------s---e----------S-E--|', {
        s: stall('start', '*', 0, 11, [1, 2], 2),
        e: stall('end', '*', 0, 15, [1, 2], 1),
        S: stall('start', '*', 15, 11, [1], 1),
        E: stall('end', '*', 15, 13, [1], 0),
      });
      probeActionsAt(32);
    });
    expect(leftover).to.equal(0);
  });

  it('lists at most 16 tags, oldest first', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const values: Record<string, RequestEvent> = {};
      for (let i = 0; i < 20; i++) values[String.fromCharCode(65 + i)] = event('submitted', record(i, 0), 'read');
      const source = cold('(ABCDEFGHIJKLMNOPQRST)', values);
      const options = { thresholdMs: { default: 100, read: 2 }, checkEveryMs: 1, cause: () => 'device' as const, scheduler: testScheduler };
      expectObservable(source.pipe(detectStalls(options)), '----!').toBe('---s', {
        s: stall('start', 'read', 0, 3, Array.from({ length: 16 }, (_, i) => i), 20),
      });
    });
  });

  it('leaves no scheduled action after early unsubscription', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('a-------', { a: event('submitted', record(1, 0), 'read') });
      const stalls = source.pipe(detectStalls({ thresholdMs: { default: 100, read: 3 }, checkEveryMs: 1, cause: () => 'device', scheduler: testScheduler }));
      expectObservable(stalls, '------!').toBe('----s-', { s: stall('start', 'read', 0, 4, [1], 1) });
      expectSubscriptions(source.subscriptions).toBe('^-----!');
      probeActionsAt(6);
    });
    expect(leftover).to.equal(0);
  });

  it('leaves no scheduled action when the consumer unsubscribes during an emission', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('a-------', { a: event('submitted', record(1, 0), 'read') });
      const stalls = source.pipe(detectStalls({ thresholdMs: { default: 100, read: 3 }, checkEveryMs: 1, cause: () => 'device', scheduler: testScheduler }), take(1));
      expectObservable(stalls).toBe('----(s|)', { s: stall('start', 'read', 0, 4, [1], 1) });
      expectSubscriptions(source.subscriptions).toBe('^---!');
      probeActionsAt(5);
    });
    expect(leftover).to.equal(0);
  });

  it('schedules one periodic check per busy period, not one per request', () => {
    let schedules = 0;
    testScheduler.run(({ hot, expectObservable }) => {
      const counting: SchedulerLike = {
        now: () => testScheduler.now(),
        schedule: (...args: Parameters<SchedulerLike['schedule']>) => {
          schedules++;
          return testScheduler.schedule(...args);
        },
      };
      const first = busyWrites(10);
      const second = busyWrites(1, { firstTag: 500, startFrame: 26, firstKey: 'X' });
      const source = hot(first.marble + '------' + second.marble + '|', { ...first.values, ...second.values });
      const stalls = source.pipe(detectStalls({ thresholdMs: 5, checkEveryMs: 2, cause: () => 'device', scheduler: counting }));
      expectObservable(stalls).toBe('----------------------------|');
      probeActionsAt(100);
    });
    expect(schedules).to.equal(2);
    expect(leftover).to.equal(0);
  });

  it('passes errors and completion through', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const erroring = hot('a--#', { a: event('submitted', record(1, 0), 'read') });
      const completing = hot('a--|', { a: event('submitted', record(1, 0), 'read') });
      const options = { thresholdMs: 10, checkEveryMs: 1, cause: () => 'device' as const, scheduler: testScheduler };
      expectObservable(erroring.pipe(detectStalls(options))).toBe('---#');
      expectObservable(completing.pipe(detectStalls(options))).toBe('---|');
      expectSubscriptions(erroring.subscriptions).toBe('^--!');
      probeActionsAt(4);
    });
    expect(leftover).to.equal(0);
  });

  it('turns a throwing cause function into an error notification', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('a------|', { a: event('submitted', record(1, 0), 'read') });
      const boom = new Error('boom');
      const cause = (): StallCause => {
        throw boom;
      };
      expectObservable(source.pipe(detectStalls({ thresholdMs: 2, checkEveryMs: 1, cause, scheduler: testScheduler }))).toBe('---#', undefined, boom);
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('rejects thresholds without a default and impossible periods', () => {
    const cause = () => 'device' as const;
    expect(() => detectStalls({ thresholdMs: { read: 5 }, cause })).to.throw(InvalidArgumentError);
    expect(() => detectStalls({ thresholdMs: -1, cause })).to.throw(InvalidArgumentError);
    expect(() => detectStalls({ thresholdMs: 5, checkEveryMs: 0, cause })).to.throw(InvalidArgumentError);
  });
});
