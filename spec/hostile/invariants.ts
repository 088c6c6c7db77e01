/**
 * What every hostile case must show, as reusable checks: no uncaught
 * exception or unhandled rejection, every outcome settled in time with a
 * coded error, no allocation sized by a peer-supplied length.
 *
 * Case counts and seeds come from the environment (see bench/fuzz.ts):
 * `RXBRIDGE_FUZZ_RUNS` is the total across the generated properties (CI
 * default below), `RXBRIDGE_FUZZ_SEED` fixes the seed, and
 * `RXBRIDGE_FUZZ_PATH` (with the seed) replays the exact failing case that
 * fast-check printed.
 */
import { expect } from 'chai';
import type fc from 'fast-check';
import { Observable, lastValueFrom, toArray } from 'rxjs';
import { RxbridgeError } from '../../src/core/errors.js';

/** Generated cases across all hostile properties in `npm test`. */
export const CI_TOTAL_RUNS = 1200;

/** fast-check parameters for a property that gets `share` of the total runs. */
export function fuzzParameters<T>(share: number): fc.Parameters<T> {
  const total = Number(process.env.RXBRIDGE_FUZZ_RUNS ?? CI_TOTAL_RUNS);
  const seed = process.env.RXBRIDGE_FUZZ_SEED;
  const path = process.env.RXBRIDGE_FUZZ_PATH;
  return {
    numRuns: Math.max(1, Math.round(total * share)),
    ...(seed !== undefined ? { seed: Number(seed) } : {}),
    ...(path !== undefined ? { path } : {}),
    // Shrinking a network case is slow and rarely clearer than the first counterexample.
    endOnFailure: true,
  };
}

/** Records uncaught exceptions and unhandled rejections while installed. */
export class ProcessGuard {
  readonly uncaught: unknown[] = [];
  readonly unhandled: unknown[] = [];
  private readonly onUncaught = (err: unknown) => this.uncaught.push(err);
  private readonly onUnhandled = (reason: unknown) => this.unhandled.push(reason);

  constructor() {
    process.on('uncaughtException', this.onUncaught);
    process.on('unhandledRejection', this.onUnhandled);
  }

  expectClean(): void {
    expect(this.uncaught, 'uncaught exceptions').to.deep.equal([]);
    expect(this.unhandled, 'unhandled rejections').to.deep.equal([]);
  }

  dispose(): void {
    process.off('uncaughtException', this.onUncaught);
    process.off('unhandledRejection', this.onUnhandled);
  }
}

type Allocator = (size: number, ...rest: any[]) => Buffer;

/**
 * Watches Buffer.alloc, allocUnsafe and allocUnsafeSlow: a client that
 * allocates what a length field announces before the bytes exist shows up
 * as one huge allocation, even when it is freed again at once.
 */
export class AllocationTracker {
  largest = 0;
  largestStack = '';
  private readonly originals: [keyof typeof Buffer, Allocator][] = [];

  constructor() {
    for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const) {
      const original = Buffer[name] as Allocator;
      this.originals.push([name, original]);
      const tracker = this;
      (Buffer as any)[name] = function (size: number, ...rest: any[]) {
        if (size > tracker.largest) {
          tracker.largest = size;
          tracker.largestStack = new Error().stack ?? '';
        }
        return original.call(Buffer, size, ...rest);
      };
    }
  }

  expectAtMost(limit: number): void {
    expect(this.largest, `largest allocation (${this.largestStack})`).to.be.at.most(limit);
  }

  dispose(): void {
    for (const [name, original] of this.originals) (Buffer as any)[name] = original;
  }
}

/** How one client call ended. */
export interface Settled<T = unknown> {
  readonly name: string;
  readonly ok: boolean;
  readonly values: T[];
  readonly error: unknown;
  /** Milliseconds from submission to the end. */
  readonly ms: number;
}

/** Subscribes to `call` and resolves with how it ended (never rejects). */
export function settle<T>(name: string, call: Observable<T>): Promise<Settled<T>> {
  const t0 = performance.now();
  return lastValueFrom(call.pipe(toArray())).then(
    (values) => ({ name, ok: true, values, error: undefined, ms: performance.now() - t0 }),
    (error: unknown) => ({ name, ok: false, values: [], error, ms: performance.now() - t0 }),
  );
}

/**
 * Subscribes to `call` and returns the error it delivers while subscribing:
 * "fails at once" without a clock, so a loaded machine cannot make it flaky.
 */
export function failsAtOnce(call: Observable<unknown>, what: string): unknown {
  let error: unknown;
  let failed = false;
  call.subscribe({ error: (e: unknown) => ((error = e), (failed = true)) }).unsubscribe();
  expect(failed, `${what} fails at once`).to.equal(true);
  expectCoded(error, what);
  return error;
}

/** The error is an RxbridgeError with a stable code. */
export function expectCoded(error: unknown, what: string): void {
  expect(error, `${what}: ${String(error)}`).to.be.instanceOf(RxbridgeError);
  expect((error as RxbridgeError).code, `${what}: code`).to.match(/^[A-Z][A-Z0-9_]+$/);
}

/** Resolves with `promise`, or rejects when it takes longer than `ms` (the timer is cleared either way). */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${Math.round(ms)} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
