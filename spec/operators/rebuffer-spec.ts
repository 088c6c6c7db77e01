import { expect } from 'chai';
import fc from 'fast-check';
import { asapScheduler, Subject, Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { rebuffer } from '../../operators/rebuffer.js';
import type { Batch, Lane, Unit } from '../../src/core/codec.js';
import { InvalidArgumentError } from '../../src/core/errors.js';

/** Pseudo-random bytes of a prime length, so consecutive buffers never repeat each other's contents. */
const pattern = Buffer.alloc(65521);
for (let i = 0, x = 1; i < pattern.length; i++) pattern[i] = (x = (x * 48271) % 2147483647) & 0xff;
let fill = 0;
/** A buffer of `size` bytes, not from Node's pool (its own ArrayBuffer), with recognisable contents. */
function bytes(size: number): Buffer {
  const buf = Buffer.alloc(size);
  for (let at = 0; at < size; ) {
    const n = Math.min(size - at, pattern.length - fill);
    at += pattern.copy(buf, at, fill, fill + n);
    fill = (fill + n) % pattern.length;
  }
  return buf;
}

function unit(sizes: number[], lane: Lane = 'command'): Unit {
  const buffers = sizes.map(bytes);
  return { lane, buffers, bytes: sizes.reduce((a, b) => a + b, 0) };
}

function batchOf(units: Unit[], buffers: Buffer[]): Batch<Unit> {
  return { buffers, bytes: buffers.reduce((sum, b) => sum + b.length, 0), units };
}

const joined = (units: Unit[]) => Buffer.concat(units.flatMap((u) => u.buffers));

/** A scheduler whose work runs only when the spec says the turn ends. */
class ManualScheduler implements SchedulerLike {
  readonly pending = new Set<() => void>();
  now(): number {
    return 0;
  }
  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void): Subscription {
    const run = () => {
      this.pending.delete(run);
      work.call(undefined as unknown as SchedulerAction<T>);
    };
    this.pending.add(run);
    return new Subscription(() => this.pending.delete(run));
  }
  endTurn(): void {
    for (const run of [...this.pending]) run();
  }
}

describe('rebuffer', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).to.deep.equal(expected));
  });

  it('copies the small units of one turn into one buffer and flushes at the end of the turn', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const v = { a: unit([28]), b: unit([28, 100]), c: unit([12]), d: unit([28]) };
      const source = cold('-(abc)-d-|', v);
      const expected = '   -x-----y-|';
      const batches = {
        x: batchOf([v.a, v.b, v.c], [joined([v.a, v.b, v.c])]),
        y: batchOf([v.d], [v.d.buffers[0]]),
      };
      expectObservable(source.pipe(rebuffer())).toBe(expected, batches);
      expectSubscriptions(source.subscriptions).toBe('^--------!');
    });
  });

  it('passes large payloads by reference beside the copied small buffers around them', () => {
    const source = new Subject<Unit>();
    const batches: Batch<Unit>[] = [];
    const scheduler = new ManualScheduler();
    source.pipe(rebuffer({ scheduler, copyBelow: 4096 })).subscribe((b) => batches.push(b));
    const a = unit([28]);
    const large = unit([28, 8192], 'data');
    const b = unit([28]);
    [a, large, b].forEach((u) => source.next(u));
    expect(batches).to.have.length(0); // nothing before the turn ends
    scheduler.endTurn();
    expect(batches).to.have.length(1);
    const [slab, payload, tail] = batches[0].buffers;
    expect(slab).to.deep.equal(Buffer.concat([a.buffers[0], large.buffers[0]]));
    expect(payload).to.equal(large.buffers[1]); // the same object: not copied
    expect(tail).to.equal(b.buffers[0]); // a lone small buffer needs no copy either
    expect(batches[0].units).to.deep.equal([a, large, b]);
    expect(batches[0].bytes).to.equal(28 + 28 + 8192 + 28);
  });

  it('emits at once when a batch reaches targetBytes, without waiting for the turn to end', () => {
    const source = new Subject<Unit>();
    const batches: Batch<Unit>[] = [];
    const scheduler = new ManualScheduler();
    source.pipe(rebuffer({ scheduler, targetBytes: 100 })).subscribe((b) => batches.push(b));
    const a = unit([60]);
    const b = unit([60]);
    const c = unit([10]);
    source.next(a);
    expect(batches).to.have.length(0);
    source.next(b);
    expect(batches.map((x) => x.units)).to.deep.equal([[a, b]]);
    source.next(c);
    scheduler.endTurn();
    expect(batches.map((x) => x.units)).to.deep.equal([[a, b], [c]]);
  });

  it('asks a targetBytes function at each unit, capped at maxBatchBytes', () => {
    const source = new Subject<Unit>();
    const batches: Batch<Unit>[] = [];
    const scheduler = new ManualScheduler();
    let target = 100;
    source.pipe(rebuffer({ scheduler, targetBytes: () => target, maxBatchBytes: 1000 })).subscribe((b) => batches.push(b));
    const [a, b, c, d] = [unit([60]), unit([60]), unit([600]), unit([600])];
    source.next(a);
    source.next(b);
    expect(batches.map((x) => x.units)).to.deep.equal([[a, b]]);
    target = 10_000; // wider than the cap: the cap decides
    source.next(c);
    expect(batches).to.have.length(1);
    source.next(d);
    expect(batches.map((x) => x.units)).to.deep.equal([[a, b], [c]]);
    expect(batches[1].bytes).to.equal(600); // d would have taken the batch past the cap
    scheduler.endTurn();
    expect(batches.map((x) => x.units)).to.deep.equal([[a, b], [c], [d]]);
  });

  it('copies a run of small buffers longer than one slab without ever rewriting bytes already handed on', () => {
    const source = new Subject<Unit>();
    const batches: Batch<Unit>[] = [];
    const snapshots: Buffer[] = [];
    const scheduler = new ManualScheduler();
    source.pipe(rebuffer({ scheduler, targetBytes: 50_000, maxBatchBytes: 1 << 20 })).subscribe((b) => {
      batches.push(b);
      snapshots.push(Buffer.concat(b.buffers)); // what the socket would have been handed
    });
    const units = Array.from({ length: 400 }, (_, i) => unit([28, 1 + ((i * 977) % 4000)]));
    units.forEach((u) => source.next(u));
    scheduler.endTurn();
    expect(batches.length).to.be.greaterThan(2);
    // Still equal after every later append: no slab byte was reused.
    batches.forEach((b, i) => expect(Buffer.concat(b.buffers).equals(snapshots[i])).to.equal(true));
    expect(Buffer.concat(snapshots).equals(joined(units))).to.equal(true);
  });

  it('splits a payload above maxBatchBytes by reference across consecutive batches', () => {
    const source = new Subject<Unit>();
    const batches: Batch<Unit>[] = [];
    const scheduler = new ManualScheduler();
    source.pipe(rebuffer({ scheduler, maxBatchBytes: 100, targetBytes: 100, copyBelow: 100 })).subscribe((b) => batches.push(b));
    const big = unit([10, 250], 'data');
    source.next(big);
    scheduler.endTurn();
    expect(batches.map((b) => b.bytes)).to.deep.equal([100, 100, 60]);
    expect(batches.map((b) => b.units)).to.deep.equal([[], [], [big]]);
    const payload = big.buffers[1];
    const slices = batches.flatMap((b) => b.buffers).filter((b) => b.buffer === payload.buffer);
    expect(slices.map((b) => b.length)).to.deep.equal([90, 100, 60]);
    expect(Buffer.concat(batches.flatMap((b) => b.buffers))).to.deep.equal(joined([big]));
  });

  it('keeps a unit contiguous when a unit arrives from inside an emission', () => {
    const source = new Subject<Unit>();
    const batches: Batch<Unit>[] = [];
    const scheduler = new ManualScheduler();
    const first = unit([250], 'data');
    const second = unit([20]);
    source.pipe(rebuffer({ scheduler, maxBatchBytes: 100, copyBelow: 0 })).subscribe((b) => {
      batches.push(b);
      if (batches.length === 1) source.next(second); // e.g. a sink that becomes ready synchronously
    });
    source.next(first);
    scheduler.endTurn();
    expect(Buffer.concat(batches.flatMap((b) => b.buffers))).to.deep.equal(joined([first, second]));
    expect(batches.flatMap((b) => b.units)).to.deep.equal([first, second]);
  });

  it('sends units without bytes with the batch being built', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const v = { a: unit([]), b: unit([5]) };
      const source = cold('-a-(b|)', v);
      const expected = '   -x-(y|)';
      expectObservable(source.pipe(rebuffer())).toBe(expected, {
        x: batchOf([v.a], []),
        y: batchOf([v.b], [v.b.buffers[0]]),
      });
    });
  });

  it('flushes what is pending when the source completes, then completes', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const v = { a: unit([10]), b: unit([20]) };
      const source = cold('-(ab|)', v);
      expectObservable(source.pipe(rebuffer())).toBe('-(x|)', { x: batchOf([v.a, v.b], [joined([v.a, v.b])]) });
    });
  });

  it('drops what is pending and errors when the source errors', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const v = { a: unit([10]) };
      const source = cold('-(a#)', v, new Error('boom'));
      expectObservable(source.pipe(rebuffer())).toBe('-#', {}, new Error('boom'));
    });
  });

  it('unsubscribes from the source on early unsubscription', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const v = { a: unit([10]) };
      const source = cold('-a-a-a-a-|', v);
      const x = batchOf([v.a], [v.a.buffers[0]]);
      expectObservable(source.pipe(rebuffer()), '----!').toBe('-x-x-', { x });
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  it('cancels the scheduled flush on teardown: nothing is left scheduled', async () => {
    const source = new Subject<Unit>();
    const scheduled: Subscription[] = [];
    const spy: SchedulerLike = {
      now: () => asapScheduler.now(),
      schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T): Subscription {
        const s = asapScheduler.schedule(work, delay, state);
        scheduled.push(s);
        return s;
      },
    };
    const batches: Batch<Unit>[] = [];
    const subscription = source.pipe(rebuffer({ scheduler: spy })).subscribe((b) => batches.push(b));
    source.next(unit([10]));
    expect(scheduled).to.have.length(1);
    expect(scheduled[0].closed).to.equal(false);
    subscription.unsubscribe();
    expect(scheduled[0].closed).to.equal(true);
    expect(source.observed).to.equal(false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).to.have.length(0);
  });

  it('flushes on the real asapScheduler by default, before the next macrotask', async () => {
    const source = new Subject<Unit>();
    const batches: Batch<Unit>[] = [];
    const subscription = source.pipe(rebuffer()).subscribe((b) => batches.push(b));
    source.next(unit([10]));
    source.next(unit([10]));
    expect(batches).to.have.length(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).to.have.length(1);
    expect(batches[0].units).to.have.length(2);
    subscription.unsubscribe();
  });

  it('works with a scheduler that runs the flush synchronously', () => {
    const source = new Subject<Unit>();
    const batches: Batch<Unit>[] = [];
    const sync: SchedulerLike = {
      now: () => 0,
      schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void): Subscription {
        work.call(undefined as unknown as SchedulerAction<T>);
        return Subscription.EMPTY;
      },
    };
    source.pipe(rebuffer({ scheduler: sync })).subscribe((b) => batches.push(b));
    source.next(unit([10]));
    source.next(unit([10]));
    expect(batches.map((b) => b.units.length)).to.deep.equal([1, 1]);
  });

  it('rejects impossible sizes when the operator is created', () => {
    expect(() => rebuffer({ maxBatchBytes: 0 })).to.throw(InvalidArgumentError);
    expect(() => rebuffer({ targetBytes: 0 })).to.throw(InvalidArgumentError);
    expect(() => rebuffer({ copyBelow: -1 })).to.throw(InvalidArgumentError);
  });

  describe('properties', () => {
    /** Unit sizes and options at one scale: tiny (batches of a few bytes) or realistic (headers and payloads). */
    const scaled = (maxSize: number, minBatch: number, maxBatch: number) =>
      fc.tuple(
        fc.array(
          fc.record({
            sizes: fc.array(fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: maxSize })), { maxLength: 4 }),
            endTurn: fc.boolean(),
          }),
          { maxLength: 40 },
        ),
        fc.integer({ min: 1, max: maxBatch }),
        fc.integer({ min: minBatch, max: maxBatch }),
        fc.integer({ min: 0, max: maxSize }),
      );

    it('keeps every byte in order, never exceeds maxBatchBytes, lists each unit once with its last byte, copies only small buffers', () => {
      fc.assert(
        fc.property(
          fc.oneof(scaled(100, 1, 100), scaled(6000, 256, 8000)),
          ([specs, targetBytes, maxBatchBytes, copyBelow]) => {
            const source = new Subject<Unit>();
            const scheduler = new ManualScheduler();
            const batches: Batch<Unit>[] = [];
            let completed = false;
            source.pipe(rebuffer({ scheduler, targetBytes, maxBatchBytes, copyBelow })).subscribe({
              next: (b) => batches.push(b),
              complete: () => (completed = true),
            });
            const units = specs.map((s) => unit(s.sizes));
            units.forEach((u, i) => {
              source.next(u);
              if (specs[i].endTurn) scheduler.endTurn();
            });
            source.complete();
            expect(completed).to.equal(true);
            expect(scheduler.pending.size).to.equal(0);

            const out = batches.flatMap((b) => b.buffers);
            expect(Buffer.concat(out).equals(joined(units)), 'bytes in order').to.equal(true);
            const listed = batches.flatMap((b) => b.units);
            expect(listed.length).to.equal(units.length);
            listed.forEach((u, i) => expect(u).to.equal(units[i]));

            const unitEnds: number[] = [];
            let at = 0;
            for (const u of units) unitEnds.push((at += u.bytes));
            let batchStart = 0;
            let unitIndex = 0;
            for (const batch of batches) {
              expect(batch.bytes).to.equal(batch.buffers.reduce((s, b) => s + b.length, 0));
              expect(batch.bytes).to.be.at.most(maxBatchBytes);
              expect(batch.bytes > 0 || batch.units.length > 0, 'no empty batch').to.equal(true);
              const batchEnd = batchStart + batch.bytes;
              for (const u of batch.units) {
                expect(u).to.equal(units[unitIndex]);
                const end = unitEnds[unitIndex++];
                // the unit's last byte is in this batch (a unit without bytes: at its position)
                if (u.bytes > 0) expect(end > batchStart && end <= batchEnd).to.equal(true);
                else expect(end >= batchStart && end <= batchEnd).to.equal(true);
              }
              batchStart = batchEnd;
            }

            const inputs = units.flatMap((u) => u.buffers);
            const owners = new Set(inputs.map((b) => b.buffer));
            const byReference = out.filter((b) => owners.has(b.buffer)).reduce((s, b) => s + b.length, 0);
            const large = inputs.filter((b) => b.length >= copyBelow).reduce((s, b) => s + b.length, 0);
            expect(byReference).to.be.at.least(large);
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
