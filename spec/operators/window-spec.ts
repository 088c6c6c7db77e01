import { expect } from 'chai';
import fc from 'fast-check';
import { BehaviorSubject, combineLatest, map, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { prioritize } from '../../operators/prioritize.js';
import { window } from '../../operators/window.js';
import type { Lane } from '../../src/core/codec.js';
import { InvalidArgumentError, QueueFullError } from '../../src/core/errors.js';

interface Item {
  readonly name: string;
  readonly bytes: number;
  cancelled?: boolean;
}

const item = (name: string, bytes = 10, cancelled = false): Item => ({ name, bytes, cancelled });

describe('window', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).to.deep.equal(expected));
  });

  it('admits up to maxRequests items and the rest as items are released', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const v = { a: item('a'), b: item('b'), c: item('c'), d: item('d') };
      const source = cold(' -a-b-c-d-------|', v);
      const release = hot('-------a---b-----', v);
      const expected = '   -a-b---c---d---|';
      const subs = '       ^--------------!';
      const credit = new Subject<boolean>();
      expectObservable(credit).toBe('t--f', { t: true, f: false });
      expectObservable(source.pipe(window({ maxRequests: 2, maxBytes: 1000, release$: release, credit }))).toBe(expected, v);
      expectSubscriptions(source.subscriptions).toBe(subs);
      expectSubscriptions(release.subscriptions).toBe(subs);
    });
  });

  it('keeps the cost in flight at or under maxBytes, in FIFO order', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const v = { a: item('a', 60), b: item('b', 50), c: item('c', 30), d: item('d', 40) };
      const source = cold(' -a-b-c-d----|', v);
      const release = hot('------a---b---', v);
      const expected = '   -a----(bc)d-|';
      expectObservable(source.pipe(window({ maxRequests: 10, maxBytes: 100, release$: release }))).toBe(expected, v);
    });
  });

  it('admits an oversized item alone, once nothing is in flight', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const v = { a: item('a', 10), x: item('x', 250), b: item('b', 10) };
      const source = cold(' -a-x-b------|', v);
      const release = hot('-------a--x---', v);
      const expected = '   -a-----x--b-|';
      expectObservable(source.pipe(window({ maxRequests: 10, maxBytes: 100, release$: release }))).toBe(expected, v);
    });
  });

  it('reports credit only on change: false when full or queued, true once the queue empties with room', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const v = { a: item('a'), b: item('b'), c: item('c') };
      const source = cold(' -a-b-----c--', v);
      const release = hot('-----a-b-----', v);
      const credit = new Subject<boolean>();
      expectObservable(credit).toBe('tf-----t-f', { t: true, f: false });
      expectObservable(source.pipe(window({ maxRequests: 1, maxBytes: 1000, release$: release, credit }))).toBe(
        '-a---b---c--',
        v,
      );
    });
  });

  it('ignores releases of items that are not in flight (unknown, or released twice)', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const v = { a: item('a'), b: item('b'), c: item('c'), z: item('z') };
      const source = cold(' -a-b-c----|', v);
      const release = hot('--z-a-a-b---', v);
      const expected = '   -a--b---c-|';
      expectObservable(source.pipe(window({ maxRequests: 1, maxBytes: 1000, release$: release }))).toBe(expected, v);
    });
  });

  it('skips cancelled items, whether they arrive cancelled or are cancelled while queued', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const v = { a: item('a'), b: item('b'), c: item('c'), k: item('k', 10, true) };
      const source = cold(' -k-a-b-c---|', v);
      const release = hot('--------a----', v);
      const expected = '   ---a----c--|';
      // b is cancelled (the caller unsubscribed) while it waits in the queue.
      const cancelB = hot('------x', { x: 0 });
      cancelB.subscribe(() => (v.b.cancelled = true));
      expectObservable(source.pipe(window({ maxRequests: 1, maxBytes: 1000, release$: release }))).toBe(expected, v);
    });
  });

  it('completes after the source completes and the queue has drained', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const v = { a: item('a'), b: item('b') };
      const source = cold(' -a-b|', v);
      const release = hot('-------a--', v);
      expectObservable(source.pipe(window({ maxRequests: 1, maxBytes: 1000, release$: release }))).toBe('-a-----(b|)', v);
    });
  });

  it('passes a source error on at once, dropping the queue', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const v = { a: item('a'), b: item('b') };
      const source = cold(' -a-b-#', v, new Error('boom'));
      const release = hot('-------a', v);
      expectObservable(source.pipe(window({ maxRequests: 1, maxBytes: 1000, release$: release }))).toBe(
        '-a---#',
        v,
        new Error('boom'),
      );
    });
  });

  it('errors when release$ errors', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const v = { a: item('a') };
      const source = cold(' -a------', v);
      const release = hot('----#', v, new Error('replies failed'));
      expectObservable(source.pipe(window({ maxRequests: 1, maxBytes: 1000, release$: release }))).toBe(
        '-a--#',
        v,
        new Error('replies failed'),
      );
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  it('errors with QueueFullError when more than maxQueued items wait', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const v = { a: item('a'), b: item('b'), c: item('c') };
      const source = cold(' -a-b-c-', v);
      const release = hot('--------', v);
      expectObservable(
        source.pipe(window({ maxRequests: 1, maxBytes: 1000, maxQueued: 1, release$: release })),
      ).toBe('-a---#', v, new QueueFullError('window queue', 1));
    });
  });

  it('turns a throw in the cost function into an error', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const v = { a: item('a'), b: item('b') };
      const source = cold(' -a-b-', v);
      const release = hot('-----', v);
      const cost = (i: Item) => {
        if (i.name === 'b') throw new Error('bad cost');
        return i.bytes;
      };
      expectObservable(source.pipe(window({ maxRequests: 1, maxBytes: 1000, release$: release, cost }))).toBe(
        '-a-#',
        v,
        new Error('bad cost'),
      );
    });
  });

  it('unsubscribes from the source and release$ on early unsubscription', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const v = { a: item('a'), b: item('b'), c: item('c') };
      const source = cold(' -a-b-c-|', v);
      const release = hot('-----a-b-', v);
      const unsub = '      ----!';
      expectObservable(source.pipe(window({ maxRequests: 1, maxBytes: 1000, release$: release })), unsub).toBe(
        '-a---',
        v,
      );
      expectSubscriptions(source.subscriptions).toBe('^---!');
      expectSubscriptions(release.subscriptions).toBe('^---!');
    });
  });

  it('tears down synchronously: nothing is emitted after unsubscribe, even on a later release', () => {
    const source = new Subject<Item>();
    const release = new Subject<Item>();
    const seen: string[] = [];
    const a = item('a');
    const b = item('b');
    const subscription = source
      .pipe(window({ maxRequests: 1, maxBytes: 1000, release$: release }))
      .subscribe((i) => seen.push(i.name));
    source.next(a);
    source.next(b);
    subscription.unsubscribe();
    expect(source.observed).to.equal(false);
    expect(release.observed).to.equal(false);
    release.next(a);
    expect(seen).to.deep.equal(['a']);
  });

  it('handles a release fed back synchronously from an emission, keeping order', () => {
    const source = new Subject<Item>();
    const release = new Subject<Item>();
    const seen: string[] = [];
    source.pipe(window({ maxRequests: 1, maxBytes: 1000, release$: release })).subscribe((i) => {
      seen.push(i.name);
      release.next(i); // done as soon as dispatched
    });
    for (const name of ['a', 'b', 'c']) source.next(item(name));
    expect(seen).to.deep.equal(['a', 'b', 'c']);
  });

  it('rejects impossible limits when the operator is created', () => {
    const release$ = new Subject<Item>();
    expect(() => window({ maxRequests: 0, maxBytes: 10, release$ })).to.throw(InvalidArgumentError);
    expect(() => window({ maxRequests: 1, maxBytes: 0, release$ })).to.throw(InvalidArgumentError);
  });

  describe('with a changing budget', () => {
    it('admits against the budget read at each admission', () => {
      const budget = { limit: 400 };
      const source = new Subject<Item>();
      const release = new Subject<Item>();
      const admitted: Item[] = [];
      source.pipe(window<Item>({ maxRequests: 100, maxBytes: 400, release$: release, budget })).subscribe((r) => admitted.push(r));
      budget.limit = 200;
      const items = Array.from({ length: 4 }, (_, i) => ({ id: i, bytes: 100 }) as unknown as Item);
      for (const item of items) source.next(item);
      expect(admitted.length).to.equal(2);
      budget.limit = 400;
      release.next(admitted[0]);
      // One freed, and the budget grew: both waiting items fit now.
      expect(admitted.length).to.equal(4);
    });
  });

  describe('properties', () => {
    it('never exceeds maxRequests or maxBytes (but for a lone oversized item) and admits everything once released', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 8 }),
          fc.integer({ min: 1, max: 500 }),
          fc.array(fc.integer({ min: 0, max: 700 }), { maxLength: 60 }),
          fc.array(fc.nat(), { maxLength: 200 }),
          (maxRequests, maxBytes, sizes, releasePicks) => {
            const source = new Subject<Item>();
            const release = new Subject<Item>();
            const inFlight: Item[] = [];
            const admitted: Item[] = [];
            let completed = false;
            let violation = '';
            source.pipe(window({ maxRequests, maxBytes, release$: release })).subscribe({
              next: (i) => {
                inFlight.push(i);
                admitted.push(i);
                const bytes = inFlight.reduce((sum, x) => sum + x.bytes, 0);
                if (inFlight.length > maxRequests) violation = `count ${inFlight.length}`;
                if (bytes > maxBytes && inFlight.length > 1) violation = `bytes ${bytes}`;
              },
              complete: () => (completed = true),
            });
            const items = sizes.map((bytes, n) => item(String(n), bytes));
            // Interleave submissions and releases of random in-flight items.
            let next = 0;
            for (const pick of releasePicks) {
              if (pick % 2 === 0 && next < items.length) source.next(items[next++]);
              else if (inFlight.length > 0) release.next(inFlight.splice(pick % inFlight.length, 1)[0]);
            }
            while (next < items.length) source.next(items[next++]);
            source.complete();
            while (inFlight.length > 0) release.next(inFlight.shift()!);
            expect(violation).to.equal('');
            expect(admitted).to.deep.equal(items); // everything, in FIFO order
            expect(completed).to.equal(true);
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  describe('with prioritize upstream, demand from its credit (the engine loop)', () => {
    interface Rec {
      readonly name: string;
      readonly lane: Lane;
      readonly bytes: number;
    }

    /** The send loop as the engine builds it, with a stand-in for the sink's `ready`. */
    function sendLoop(maxRequests: number, maxBytes: number, dataShare: number) {
      const credit = new BehaviorSubject(true);
      const ready = new BehaviorSubject(true);
      const demand$ = combineLatest([credit, ready]).pipe(map(([c, r]) => c && r));
      const submit = new Subject<Rec>();
      const release = new Subject<Rec>();
      const inFlight: Rec[] = [];
      const admitted: Rec[] = [];
      let violation = '';
      const subscription = submit
        .pipe(prioritize({ demand$, dataShare }), window({ maxRequests, maxBytes, release$: release, credit }))
        .subscribe((r) => {
          inFlight.push(r);
          admitted.push(r);
          const bytes = inFlight.reduce((sum, x) => sum + x.bytes, 0);
          if (inFlight.length > maxRequests) violation = `count ${inFlight.length}`;
          if (bytes > maxBytes && inFlight.length > 1) violation = `bytes ${bytes}`;
        });
      const releaseAt = (index: number) => release.next(inFlight.splice(index, 1)[0]);
      return { ready, submit, releaseAt, inFlight, admitted, subscription, violation: () => violation };
    }

    it('sends a command submitted behind many queued data items next, once credit frees (count limit)', () => {
      const loop = sendLoop(4, 1 << 20, 0.25);
      for (let i = 0; i < 20; i++) loop.submit.next({ name: `d${i}`, lane: 'data', bytes: 1000 });
      expect(loop.admitted.map((r) => r.name)).to.deep.equal(['d0', 'd1', 'd2', 'd3']);
      loop.submit.next({ name: 'cmd', lane: 'command', bytes: 28 });
      loop.releaseAt(0);
      expect(loop.admitted.map((r) => r.name)).to.deep.equal(['d0', 'd1', 'd2', 'd3', 'cmd']);
      loop.subscription.unsubscribe();
    });

    it('sends a command next once credit frees (byte limit)', () => {
      const loop = sendLoop(100, 100, 0.25);
      for (let i = 0; i < 20; i++) loop.submit.next({ name: `d${i}`, lane: 'data', bytes: 25 });
      expect(loop.admitted).to.have.length(4);
      loop.submit.next({ name: 'cmd', lane: 'command', bytes: 10 });
      loop.releaseAt(0);
      expect(loop.admitted.map((r) => r.name)[4]).to.equal('cmd');
      expect(loop.violation()).to.equal('');
      loop.subscription.unsubscribe();
    });

    it('lets at most the one data item window already holds go before the command', () => {
      const loop = sendLoop(100, 100, 0.25);
      // 30-byte items: three fit (90 < 100 keeps credit open), the fourth waits inside window.
      for (let i = 0; i < 20; i++) loop.submit.next({ name: `d${i}`, lane: 'data', bytes: 30 });
      loop.submit.next({ name: 'cmd', lane: 'command', bytes: 10 });
      loop.releaseAt(0);
      expect(loop.admitted.map((r) => r.name).slice(3)).to.deep.equal(['d3', 'cmd']);
      loop.subscription.unsubscribe();
    });

    it('never exceeds the limits, lets at most one data item overtake a command, and sends everything', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 6 }),
          fc.integer({ min: 1, max: 3000 }),
          fc.array(
            fc.oneof(
              fc.record({ kind: fc.constant('submit' as const), lane: fc.constantFrom<Lane>('command', 'data'), bytes: fc.integer({ min: 0, max: 2000 }) }),
              fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
              fc.record({ kind: fc.constant('ready' as const), value: fc.boolean() }),
            ),
            { maxLength: 120 },
          ),
          (maxRequests, maxBytes, steps) => {
            const loop = sendLoop(maxRequests, maxBytes, 0); // strict priority: commands never wait for data in prioritize
            const submitted: Rec[] = [];
            const admittedBefore = new Map<Rec, number>(); // command → admissions when it was submitted
            steps.forEach((step, n) => {
              if (step.kind === 'submit') {
                const r: Rec = { name: String(n), lane: step.lane, bytes: step.bytes };
                submitted.push(r);
                if (r.lane === 'command') admittedBefore.set(r, loop.admitted.length);
                loop.submit.next(r);
              } else if (step.kind === 'release') {
                if (loop.inFlight.length > 0) loop.releaseAt(step.pick % loop.inFlight.length);
              } else {
                loop.ready.next(step.value);
              }
            });
            loop.ready.next(true);
            while (loop.inFlight.length > 0) loop.releaseAt(0);
            expect(loop.violation()).to.equal('');
            expect(loop.admitted.length).to.equal(submitted.length);
            expect(new Set(loop.admitted).size).to.equal(submitted.length);
            for (const r of submitted) expect(loop.admitted).to.include(r);
            for (const [command, before] of admittedBefore) {
              const at = loop.admitted.indexOf(command);
              const overtaking = loop.admitted.slice(before, at).filter((r) => r.lane === 'data');
              expect(overtaking.length, `data admitted ahead of command ${command.name}`).to.be.at.most(1);
            }
            loop.subscription.unsubscribe();
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
