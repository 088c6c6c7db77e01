import { expect } from 'chai';
import fc from 'fast-check';
import { BehaviorSubject, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { prioritize } from '../../operators/prioritize.js';
import type { Lane } from '../../src/core/codec.js';
import { InvalidArgumentError, QueueFullError } from '../../src/core/errors.js';

interface Item {
  readonly name: string;
  readonly lane: Lane;
  readonly bytes: number;
  cancelled?: boolean;
}

const cmd = (name: string, bytes = 10): Item => ({ name, lane: 'command', bytes });
const dat = (name: string, bytes = 10): Item => ({ name, lane: 'data', bytes });
const flags = { t: true, f: false };

describe('prioritize', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).to.deep.equal(expected));
  });

  describe('without demand$', () => {
    it('passes items straight through in arrival order, dropping cancelled ones', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const v = { a: dat('a'), b: cmd('b'), k: { ...cmd('k'), cancelled: true }, c: dat('c') };
        const source = cold('-a-b-k-c|', v);
        expectObservable(source.pipe(prioritize())).toBe('-a-b---c|', v);
        expectSubscriptions(source.subscriptions).toBe('^-------!');
      });
    });

    it('passes errors through and unsubscribes early', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const v = { a: dat('a') };
        const failing = cold('-a-#', v, new Error('boom'));
        expectObservable(failing.pipe(prioritize())).toBe('-a-#', v, new Error('boom'));
        const endless = cold('-a-a-a-a-', v);
        expectObservable(endless.pipe(prioritize()), '---!').toBe('-a-', v);
        expectSubscriptions(endless.subscriptions).toBe('^--!');
      });
    });
  });

  describe('with demand$', () => {
    it('holds items until demand, then sends commands first (dataShare 0: strict priority)', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const v = { C: cmd('C'), D: dat('D'), E: dat('E'), F: cmd('F') };
        const demand = hot('f-------t', flags);
        const source = cold('-D-C-E-F|', v);
        expectObservable(source.pipe(prioritize({ demand$: demand, dataShare: 0 }))).toBe('--------(CFDE|)', v);
        expectSubscriptions(source.subscriptions).toBe('^-------!');
        expectSubscriptions(demand.subscriptions).toBe('^-------!');
      });
    });

    it('gives the data lane its share of bytes while both lanes wait (dataShare 0.5, equal costs)', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const v = { C: cmd('C'), D: dat('D'), E: dat('E'), F: cmd('F') };
        const demand = hot('f-------t', flags);
        const source = cold('-D-C-E-F|', v);
        expectObservable(source.pipe(prioritize({ demand$: demand, dataShare: 0.5 }))).toBe('--------(CDFE|)', v);
      });
    });

    it('lets a data item overtake waiting commands once its deficit covers its cost', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const v = { a: cmd('a'), b: cmd('b'), c: cmd('c'), d: cmd('d'), X: dat('X', 30) };
        const demand = hot('f--------t', flags);
        const source = cold('-X-a-b-c-d', v);
        // dataShare 0.5: every command byte earns the data lane one byte.
        expectObservable(source.pipe(prioritize({ demand$: demand, dataShare: 0.5 }))).toBe('---------(abcXd)', v);
      });
    });

    it('resets the deficit when the data lane empties: credit earned earlier is not kept', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const values = {
          a: cmd('a'), b: cmd('b'), c: cmd('c'), X: dat('X', 25),
          e: cmd('e'), g: cmd('g'), Y: dat('Y', 12),
        };
        // dataShare 0.5: a, b, c earn 30, X spends 25 and 5 would be left over, but the data lane is then empty.
        const demand = hot('f-------t-f-------t', flags);
        const source = cold('-X-a-b-c---Y-e-g---', values);
        const expected = '   --------(abcX)----(egY)';
        expectObservable(source.pipe(prioritize({ demand$: demand, dataShare: 0.5 }))).toBe(expected, values);
      });
    });

    it('stops when demand turns false and resumes when it turns true', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const v = { a: cmd('a'), b: cmd('b'), c: cmd('c'), d: dat('d') };
        const demand = hot('t---f---t----', flags);
        const source = cold('-a-b-c-d-----', v);
        expectObservable(source.pipe(prioritize({ demand$: demand }))).toBe('-a-b----(cd)-', v);
      });
    });

    it('completes only once the queues have drained', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const v = { a: dat('a'), b: cmd('b') };
        const demand = hot('f-----t', flags);
        const source = cold('-a-b|', v);
        expectObservable(source.pipe(prioritize({ demand$: demand }))).toBe('------(ba|)', v);
      });
    });

    it('waits for demand to complete, until unsubscribed', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const v = { a: dat('a') };
        const demand = hot('f---------', flags);
        const source = cold('-a|', v);
        expectObservable(source.pipe(prioritize({ demand$: demand })), '------!').toBe('-------', v);
        expectSubscriptions(source.subscriptions).toBe('^-!');
        expectSubscriptions(demand.subscriptions).toBe('^-----!');
      });
    });

    it('drops items cancelled while they wait', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const v = { a: cmd('a'), b: cmd('b'), c: dat('c') };
        const demand = hot('f-------t', flags);
        hot('-----x').subscribe(() => (v.b.cancelled = true));
        const source = cold('-a-b-c', v);
        expectObservable(source.pipe(prioritize({ demand$: demand }))).toBe('--------(ac)', v);
      });
    });

    it('errors at once on a source error, dropping the queues', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const v = { a: dat('a') };
        const demand = hot('f------t', flags);
        const source = cold('-a-#', v, new Error('boom'));
        expectObservable(source.pipe(prioritize({ demand$: demand }))).toBe('---#', v, new Error('boom'));
      });
    });

    it('errors when demand$ errors and unsubscribes from the source', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const v = { a: dat('a') };
        const demand = hot('t---#', flags, new Error('sink failed'));
        const source = cold('-a-----', v);
        expectObservable(source.pipe(prioritize({ demand$: demand }))).toBe('-a--#', v, new Error('sink failed'));
        expectSubscriptions(source.subscriptions).toBe('^---!');
      });
    });

    it('errors with QueueFullError past maxQueued items or maxQueuedBytes', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const v = { a: dat('a'), b: cmd('b'), c: dat('c') };
        const demand = hot('f------', flags);
        const source = cold('-a-b-c-', v);
        expectObservable(source.pipe(prioritize({ demand$: demand, maxQueued: 2 }))).toBe(
          '-----#',
          v,
          new QueueFullError('prioritize queue', 2),
        );
        expectObservable(source.pipe(prioritize({ demand$: demand, maxQueuedBytes: 15 }))).toBe(
          '---#',
          v,
          new QueueFullError('prioritize queue bytes', 15),
        );
      });
    });

    it('turns a throw in the cost function into an error', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const v = { a: dat('a') };
        const demand = hot('t----', flags);
        const cost = () => {
          throw new Error('bad cost');
        };
        expectObservable(cold('-a-', v).pipe(prioritize({ demand$: demand, cost }))).toBe('-#', v, new Error('bad cost'));
      });
    });

    it('unsubscribes from the source and demand$ on early unsubscription', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const v = { a: dat('a'), b: cmd('b') };
        const demand = hot('t-f-t-f-t', flags);
        const source = cold('-a-b-a-b-a-|', v);
        expectObservable(source.pipe(prioritize({ demand$: demand })), '-----!').toBe('-a--b-', v);
        expectSubscriptions(source.subscriptions).toBe('^----!');
        expectSubscriptions(demand.subscriptions).toBe('^----!');
      });
    });

    it('stops in the middle of a drain when demand turns false synchronously', () => {
      const demand = new BehaviorSubject(false);
      const source = new Subject<Item>();
      const seen: string[] = [];
      source.pipe(prioritize({ demand$: demand })).subscribe((i) => {
        seen.push(i.name);
        demand.next(false); // like window's credit after each admission
      });
      for (const name of ['a', 'b', 'c']) source.next(cmd(name));
      demand.next(true);
      expect(seen).to.deep.equal(['a']);
      demand.next(true);
      expect(seen).to.deep.equal(['a', 'b']);
    });

    it('keeps order when a new item arrives from inside an emission', () => {
      const demand = new BehaviorSubject(false);
      const source = new Subject<Item>();
      const seen: string[] = [];
      source.pipe(prioritize({ demand$: demand, dataShare: 0 })).subscribe((i) => {
        seen.push(i.name);
        if (i.name === 'a') source.next(cmd('urgent'));
      });
      source.next(cmd('a'));
      source.next(dat('x'));
      demand.next(true);
      expect(seen).to.deep.equal(['a', 'urgent', 'x']);
    });

    it('tears down synchronously', () => {
      const demand = new BehaviorSubject(false);
      const source = new Subject<Item>();
      const seen: string[] = [];
      const subscription = source.pipe(prioritize({ demand$: demand })).subscribe((i) => seen.push(i.name));
      source.next(cmd('a'));
      subscription.unsubscribe();
      expect(source.observed).to.equal(false);
      expect(demand.observed).to.equal(false);
      demand.next(true);
      expect(seen).to.deep.equal([]);
    });
  });

  it('rejects a dataShare outside [0, 1)', () => {
    expect(() => prioritize({ dataShare: 1 })).to.throw(InvalidArgumentError);
    expect(() => prioritize({ dataShare: -0.1 })).to.throw(InvalidArgumentError);
  });

  describe('properties', () => {
    const itemsArb = fc.array(
      fc.record({ lane: fc.constantFrom<Lane>('command', 'data'), bytes: fc.integer({ min: 0, max: 5000 }) }),
      { maxLength: 80 },
    );

    it('never starves the data lane: over any stretch where both lanes wait, data ≥ share × total − one item', () => {
      fc.assert(
        fc.property(itemsArb, fc.constantFrom(0, 0.1, 0.25, 0.5, 0.75, 0.9), (specs, dataShare) => {
          const items = specs.map((s, n) => ({ name: String(n), ...s }));
          const demand = new BehaviorSubject(false);
          const source = new Subject<Item>();
          const out: Item[] = [];
          source.pipe(prioritize({ demand$: demand, dataShare })).subscribe((i) => out.push(i));
          items.forEach((i) => source.next(i));
          demand.next(true);
          expect(out.length).to.equal(items.length);

          // Both lanes stay backlogged until one of them has emitted its last item.
          const lastOf = (lane: Lane) => out.map((i) => i.lane).lastIndexOf(lane);
          const backlogged = Math.min(lastOf('command'), lastOf('data')); // index of the last contested emission
          const maxItem = Math.max(0, ...items.map((i) => i.bytes));
          for (let from = 0; from <= backlogged; from++) {
            let total = 0;
            let data = 0;
            for (let to = from; to <= backlogged; to++) {
              total += out[to].bytes;
              if (out[to].lane === 'data') data += out[to].bytes;
              expect(data, `items ${from}..${to}`).to.be.at.least(dataShare * total - maxItem - 1e-6);
            }
          }
        }),
        { numRuns: 200 },
      );
    });

    it('keeps each lane in order and emits every live item exactly once, whatever demand does', () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.oneof(
              fc.record({ kind: fc.constant('item' as const), lane: fc.constantFrom<Lane>('command', 'data'), bytes: fc.nat(100), cancelled: fc.boolean() }),
              fc.record({ kind: fc.constant('demand' as const), value: fc.boolean() }),
            ),
            { maxLength: 100 },
          ),
          fc.double({ min: 0, max: 0.95, noNaN: true }),
          (steps, dataShare) => {
            const demand = new BehaviorSubject(false);
            const source = new Subject<Item>();
            const out: Item[] = [];
            let completed = false;
            source.pipe(prioritize({ demand$: demand, dataShare })).subscribe({
              next: (i) => out.push(i),
              complete: () => (completed = true),
            });
            const submitted: Item[] = [];
            steps.forEach((step, n) => {
              if (step.kind === 'demand') demand.next(step.value);
              else {
                const i: Item = { name: String(n), lane: step.lane, bytes: step.bytes };
                submitted.push(i);
                source.next(i);
                if (step.cancelled) i.cancelled = true; // cancelled after submission: dropped if still queued
              }
            });
            source.complete();
            demand.next(true);
            expect(completed).to.equal(true);
            for (const lane of ['command', 'data'] as const) {
              const emitted = out.filter((i) => i.lane === lane).map((i) => Number(i.name));
              expect(emitted).to.deep.equal([...emitted].sort((a, b) => a - b));
            }
            expect(new Set(out).size).to.equal(out.length);
            for (const i of submitted) {
              if (!i.cancelled) expect(out).to.include(i);
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
