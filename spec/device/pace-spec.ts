import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import { pace } from '../../src/device/pace.js';
import { TokenBucket } from '../../src/device/tokenBucket.js';

describe('pace', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).to.deep.equal(expected));
  });

  // 1 byte per ms; the values are their own sizes.
  const bucket = (burst: number) => new TokenBucket(1000, burst, () => scheduler.now());

  it('lets the burst through at once and delays the rest to the rate, in order', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('a-b-c|', { a: 5, b: 5, c: 5 });
      // a rides the burst; b finds 2 tokens at t=2 and waits 3 ms; c pays when it reaches the head at 5.
      expectObservable(source.pipe(pace(bucket(5), (v: number) => v, scheduler))).toBe('a----b----(c|)', { a: 5, b: 5, c: 5 });
    });
  });

  it('passes everything through at an unlimited rate', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('a-b-c|');
      expectObservable(source.pipe(pace(new TokenBucket(Infinity), () => 1e9, scheduler))).toBe('a-b-c|');
    });
  });

  it('waits for the queue to drain before completing, and passes errors at once', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('(ab|)', { a: 3, b: 3 }).pipe(pace(bucket(0), (v: number) => v, scheduler))).toBe('---a--(b|)', { a: 3, b: 3 });
      expectObservable(cold('(ab#)', { a: 3, b: 3 }).pipe(pace(bucket(0), (v: number) => v, scheduler))).toBe('#');
    });
  });

  it('unsubscribes early without leaving a scheduled wait behind', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('(ab)----|', { a: 4, b: 4 });
      expectObservable(source.pipe(pace(bucket(0), (v: number) => v, scheduler)), '---!').toBe('---');
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });
});
