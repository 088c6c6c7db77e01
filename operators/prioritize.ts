import { Observable, type OperatorFunction } from 'rxjs';
import type { Lane } from '../src/core/codec.js';
import { InvalidArgumentError, QueueFullError } from '../src/core/errors.js';
import { CostQueue } from './internal/costQueue.js';
import { defaultCost, defaultIsCancelled } from './internal/itemDefaults.js';

export interface PrioritizeOptions<T> {
  /** Pull signal: items leave only while its latest value is true. Without it, items pass straight through. */
  readonly demand$?: Observable<boolean>;
  /** The data lane's guaranteed share of cost while both lanes are backlogged, in [0, 1) (default 0.25). */
  readonly dataShare?: number;
  /** Cost of an item for the share and the byte bound; default: its `bytes`. */
  readonly cost?: (item: T) => number;
  /** Most items queued over both lanes (default 65536); one more is a QueueFullError. */
  readonly maxQueued?: number;
  /** Most cost queued over both lanes (default 256 MiB); more is a QueueFullError. */
  readonly maxQueuedBytes?: number;
  /** Items for which this is true are dropped; default: `item.cancelled === true`. */
  readonly isCancelled?: (item: T) => boolean;
}

/**
 * Merges the command and data lanes into one stream, commands first, while the
 * data lane keeps a guaranteed share of the bytes; emits only while `demand$`
 * says so.
 *
 * ```
 * demand$: f-------t------   (C: command, D: data, equal costs; dataShare 0.5)
 * source:  -D-C-D-C|
 * result:  --------(CDCD|)
 * ```
 *
 * Scheduling is strict priority for the command lane plus a byte deficit for
 * the data lane: every command emitted while data waits adds
 * `cost × dataShare / (1 − dataShare)` to the data lane's deficit; when the
 * deficit covers the head data item's cost, that item goes next even though
 * commands wait, and the deficit pays for it. The deficit resets when the data
 * lane is empty, and data that goes while no command waits draws it down, so
 * over any stretch where both lanes are backlogged data gets at least
 * `dataShare × total − one item's cost`. Each lane keeps its order. Cancelled
 * items are dropped on arrival and when they reach a lane's head.
 *
 * Without `demand$` nothing waits, so items pass straight through in arrival
 * order. With `demand$`, nothing leaves before it first emits `true`; the
 * queues drain whenever it turns true and stop as soon as it turns false (also
 * synchronously, in the middle of a drain). Completion: after the source
 * completes, the result completes once the queues have drained; if demand
 * never returns it waits until unsubscribed. A `demand$` error is an error of
 * the result; its completion freezes its last value.
 *
 * @example
 * ```ts
 * const demand$ = combineLatest([credit, ready]).pipe(map(([c, r]) => c && r));
 * requests$.pipe(prioritize({ demand$, dataShare: 0.25, cost: (r) => r.cost }));
 * ```
 * @param options The demand signal, the data lane's share and the queue bounds.
 * @return An operator that reorders items across lanes and emits them on demand.
 */
export function prioritize<T extends { lane: Lane; bytes: number }>(
  options: PrioritizeOptions<T> = {},
): OperatorFunction<T, T> {
  const { demand$ } = options;
  const dataShare = options.dataShare ?? 0.25;
  const cost: (item: T) => number = options.cost ?? defaultCost;
  const isCancelled: (item: T) => boolean = options.isCancelled ?? defaultIsCancelled;
  const maxQueued = options.maxQueued ?? 65536;
  const maxQueuedBytes = options.maxQueuedBytes ?? 256 * 1024 * 1024;
  if (!(dataShare >= 0 && dataShare < 1) || !(maxQueued >= 0) || !(maxQueuedBytes >= 0)) {
    throw new InvalidArgumentError('prioritize needs 0 <= dataShare < 1, maxQueued >= 0 and maxQueuedBytes >= 0');
  }
  /** Deficit earned by the data lane per unit of command cost. */
  const dataPerCommand = dataShare / (1 - dataShare);

  if (!demand$) {
    return (source) =>
      new Observable<T>((subscriber) =>
        source.subscribe({
          next: (item) => {
            let cancelled: boolean;
            try {
              cancelled = isCancelled(item);
            } catch (err) {
              subscriber.error(err);
              return;
            }
            if (!cancelled) subscriber.next(item);
          },
          error: (err) => subscriber.error(err),
          complete: () => subscriber.complete(),
        }),
      );
  }

  return (source) =>
    new Observable<T>((subscriber) => {
      const commands = new CostQueue<T>();
      const data = new CostQueue<T>();
      let demand = false;
      let deficit = 0;
      let draining = false;
      let sourceDone = false;

      /** Drops cancelled items at the head of a lane, so the head is live or the lane empty. */
      const skipCancelled = (lane: CostQueue<T>) => {
        while (lane.length > 0 && isCancelled(lane.peek())) lane.shift();
      };

      /** Takes the next item off the lanes, or undefined when both are empty. */
      const takeNext = (): T | undefined => {
        skipCancelled(commands);
        skipCancelled(data);
        if (data.length === 0) {
          deficit = 0; // no data waits: commands earn it nothing
          return commands.length > 0 ? commands.shift() : undefined;
        }
        if (commands.length === 0) {
          deficit = Math.max(0, deficit - data.peekCost());
          return data.shift();
        }
        if (deficit >= data.peekCost()) {
          deficit -= data.peekCost();
          return data.shift();
        }
        deficit += commands.peekCost() * dataPerCommand;
        return commands.shift();
      };

      // One loop emits while demand holds; re-entrant calls (a demand flip or a
      // new item from inside an emission) leave the work to the running loop,
      // which re-reads `demand` before every emission.
      const drain = () => {
        if (draining) return;
        draining = true;
        try {
          while (demand && !subscriber.closed) {
            const item = takeNext();
            if (item === undefined) break;
            subscriber.next(item);
          }
        } catch (err) {
          draining = false;
          subscriber.error(err);
          return;
        }
        draining = false;
        if (sourceDone && !subscriber.closed && commands.length + data.length === 0) subscriber.complete();
      };

      subscriber.add(
        demand$.subscribe({
          next: (value) => {
            demand = value;
            if (value) drain();
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
              if (isCancelled(item)) return;
              itemCost = cost(item);
            } catch (err) {
              subscriber.error(err);
              return;
            }
            const queued = commands.length + data.length;
            if (queued >= maxQueued && !(demand && queued === 0)) {
              subscriber.error(new QueueFullError('prioritize queue', maxQueued));
              return;
            }
            if (commands.totalCost + data.totalCost + itemCost > maxQueuedBytes && !(demand && queued === 0)) {
              subscriber.error(new QueueFullError('prioritize queue bytes', maxQueuedBytes));
              return;
            }
            if (demand && !draining && queued === 0) {
              // Nothing waits and the sink wants more: no decision to make, hand
              // it on at once (the deficit bookkeeping as takeNext would do it).
              deficit = item.lane === 'command' ? 0 : Math.max(0, deficit - itemCost);
              subscriber.next(item);
              return;
            }
            (item.lane === 'command' ? commands : data).push(item, itemCost);
            if (demand) drain();
          },
          error: (err) => subscriber.error(err),
          complete: () => {
            sourceDone = true;
            drain();
          },
        }),
      );

      return () => {
        commands.clear();
        data.clear();
        deficit = 0;
      };
    });
}
