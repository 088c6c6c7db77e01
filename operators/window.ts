import { Observable, type Observer, type OperatorFunction } from 'rxjs';
import { InvalidArgumentError, QueueFullError } from '../src/core/errors.js';
import { CostQueue } from './internal/costQueue.js';
import { inFlightCosts } from './internal/inFlightCosts.js';
import { defaultCost, defaultIsCancelled } from './internal/itemDefaults.js';

export interface WindowOptions<T> {
  /** Most items in flight at once (≥ 1). */
  readonly maxRequests: number;
  /** Most cost in flight at once (> 0); a lone item above it still goes when nothing is in flight. */
  readonly maxBytes: number;
  /** Emits an admitted item when it no longer holds credit (its reply completed); unknown items are ignored. */
  readonly release$: Observable<T>;
  /** What an item holds in flight; default: its `bytes` (use `r => r.cost` to count reply bytes too). */
  readonly cost?: (item: T) => number;
  /** Told `true`/`false`, on change only, whether another item would be admitted right now. */
  readonly credit?: Pick<Observer<boolean>, 'next'>;
  /** Most items waiting for credit (default 65536); one more is a QueueFullError. */
  readonly maxQueued?: number;
  /** Items for which this is true are skipped when dequeued; default: `item.cancelled === true`. */
  readonly isCancelled?: (item: T) => boolean;
  /**
   * A byte budget that changes while the window runs (e.g. the engine's
   * LatencyBudget, driven by the command lane's queueing delay): read on every
   * admission instead of `maxBytes`. A budget that grows admits waiting items
   * at the next release.
   */
  readonly budget?: { readonly limit: number };
  /**
   * A key unique among the items in flight (e.g. the request tag, an unsigned
   * 32-bit integer): the items in flight are then kept in a TagTable instead
   * of a Map keyed by the items, which churns (see TagTable).
   */
  readonly keyOf?: (item: T) => number;
}

/**
 * Admits items while fewer than `maxRequests` items and at most `maxBytes` of
 * cost are in flight; the rest wait, in order, for `release$`.
 *
 * ```
 * maxRequests: 2, maxBytes: ∞
 * source:   -a-b-c-d-------|
 * release$: -------a---b-----
 * result:   -a-b---c---d---|
 * credit:   t--f-------------   (true again only once the queue is empty and there is room)
 * ```
 *
 * An item whose cost alone exceeds `maxBytes` is admitted when nothing is in
 * flight (otherwise it could never go). Cancelled items are dropped when they
 * reach the head of the queue. `credit` gets its first value once the source is
 * subscribed and then only changes: `true` when the queue is empty and both
 * limits have room, which is what `prioritize`'s `demand$` should follow, so
 * the backlog waits upstream where commands can still overtake data. Only
 * `credit.next` is ever called. Items are tracked by identity: the same object
 * must not be in flight twice.
 *
 * Completion: after the source completes, the result completes once every
 * queued item has been admitted (releases keep flowing until then). A
 * `release$` error is an error of the result. Teardown clears the queue, the
 * in-flight set and the `release$` subscription.
 *
 * @example
 * ```ts
 * const credit = new BehaviorSubject(true);
 * requests$.pipe(
 *   prioritize({ demand$: credit }),
 *   window({ maxRequests: 64, maxBytes: 8 << 20, release$: completed$, cost: (r) => r.cost, credit }),
 * );
 * ```
 * @param options Limits, the release stream and the credit observer.
 * @return An operator that emits each item once it holds credit.
 */
export function window<T>(options: WindowOptions<T>): OperatorFunction<T, T> {
  const { maxRequests, maxBytes, release$, credit } = options;
  const cost: (item: T) => number = options.cost ?? defaultCost;
  const isCancelled: (item: T) => boolean = options.isCancelled ?? defaultIsCancelled;
  const maxQueued = options.maxQueued ?? 65536;
  if (!(maxRequests >= 1) || !(maxBytes > 0) || !(maxQueued >= 0)) {
    throw new InvalidArgumentError('window needs maxRequests >= 1, maxBytes > 0 and maxQueued >= 0');
  }

  return (source) =>
    new Observable<T>((subscriber) => {
      const queue = new CostQueue<T>();
      /** Admitted items and the cost each holds (stored, so a release subtracts exactly what was added). */
      const inFlight = inFlightCosts(options.keyOf);
      let inFlightBytes = 0;
      const budget = options.budget;
      let draining = false;
      let sourceDone = false;
      let lastCredit: boolean | undefined;

      const byteLimit = () => (budget ? budget.limit : maxBytes);
      const fits = (itemCost: number) =>
        inFlight.size === 0 || (inFlight.size < maxRequests && inFlightBytes + itemCost <= byteLimit());

      const updateCredit = () => {
        if (!credit) return;
        const open = queue.length === 0 && inFlight.size < maxRequests && inFlightBytes < byteLimit();
        if (open === lastCredit) return;
        lastCredit = open; // before next(): a re-entrant update must see this one as done
        credit.next(open);
      };

      // One loop admits everything that fits; re-entrant calls (an emission that
      // synchronously releases, or a source item pushed from inside credit.next)
      // only queue and leave the work to the loop already running, so order holds.
      const drain = () => {
        if (draining) return;
        draining = true;
        try {
          while (queue.length > 0 && !subscriber.closed) {
            const item = queue.peek();
            if (isCancelled(item)) {
              queue.shift();
              continue;
            }
            const itemCost = queue.peekCost();
            if (!fits(itemCost)) break;
            queue.shift();
            inFlight.set(item, itemCost);
            inFlightBytes += itemCost;
            subscriber.next(item);
          }
        } catch (err) {
          draining = false;
          subscriber.error(err);
          return;
        }
        draining = false;
        if (subscriber.closed) return;
        if (sourceDone && queue.length === 0) {
          subscriber.complete();
          return;
        }
        // Credit changes after the emissions, so upstream items pushed in
        // response arrive behind everything this loop admitted.
        try {
          updateCredit();
        } catch (err) {
          subscriber.error(err);
        }
      };

      subscriber.add(
        release$.subscribe({
          next: (item) => {
            const held = inFlight.get(item);
            if (held === undefined) return; // not ours, or already released
            inFlight.delete(item);
            inFlightBytes = inFlight.size === 0 ? 0 : inFlightBytes - held;
            drain();
          },
          error: (err) => subscriber.error(err),
        }),
      );
      if (subscriber.closed) return;

      subscriber.add(
        source.subscribe({
          next: (item) => {
            let itemCost: number;
            try {
              itemCost = cost(item);
            } catch (err) {
              subscriber.error(err);
              return;
            }
            if (queue.length >= maxQueued && !(queue.length === 0 && fits(itemCost))) {
              subscriber.error(new QueueFullError('window queue', maxQueued));
              return;
            }
            queue.push(item, itemCost);
            drain();
          },
          error: (err) => subscriber.error(err),
          complete: () => {
            sourceDone = true;
            drain();
          },
        }),
      );
      if (!subscriber.closed && !draining) {
        try {
          updateCredit();
        } catch (err) {
          subscriber.error(err);
        }
      }

      return () => {
        queue.clear();
        inFlight.clear();
        inFlightBytes = 0;
      };
    });
}
