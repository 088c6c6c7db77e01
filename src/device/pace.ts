import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { TokenBucket } from './tokenBucket.js';

/**
 * Paces values through a byte token bucket, in order: each value is emitted
 * once the bucket has paid for its bytes, as a link of that bandwidth would
 * deliver it (store and forward: the value leaves when its last byte would
 * have crossed the link).
 *
 * ```
 * source: -a-b-c------|      (each 1 MB; bucket 1 MB/s, burst 1 MB)
 * result: -a----b----c|      (a rides the burst; b and c wait 1 s each)
 * ```
 *
 * Values that arrive while earlier ones wait are queued behind them (the
 * caller bounds that queue: this is a device's link, not a buffer of its
 * own). Completion waits for the queue to drain; an error drops it.
 * An unlimited bucket passes everything through synchronously.
 *
 * @example
 * batches$.pipe(pace(new TokenBucket(110e6), (b) => b.bytes), socketSink(socket))
 *
 * @param bucket The link's token bucket (its clock should be `scheduler.now`).
 * @param bytes How many bytes a value puts on the link.
 * @param scheduler Runs the waits (default asyncScheduler).
 * @return An operator that delays values to the bucket's rate.
 */
export function pace<T>(bucket: TokenBucket, bytes: (value: T) => number, scheduler: SchedulerLike = asyncScheduler): OperatorFunction<T, T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      if (bucket.unlimited) return source.subscribe(subscriber);
      const queue: T[] = [];
      let head = 0;
      let waiting: Subscription | undefined;
      let sourceDone = false;
      let draining = false;

      // Emits queued values while the bucket allows; arms one timer for the first that must wait.
      const drain = () => {
        waiting = undefined;
        draining = true;
        try {
          drainQueue();
        } finally {
          draining = false;
        }
        if (sourceDone && waiting === undefined && head >= queue.length) subscriber.complete();
      };

      const drainQueue = () => {
        while (head < queue.length && !subscriber.closed) {
          const value = queue[head];
          // A value pays once: `take` when it reaches the head, then it waits out the debt.
          const wait = bucket.waitMs();
          if (wait > 0) {
            waiting = scheduler.schedule(drain, wait);
            return;
          }
          queue[head++] = undefined as T;
          if (head === queue.length) {
            queue.length = head = 0;
          } else if (head >= 1024 && head * 2 >= queue.length) {
            queue.splice(0, head);
            head = 0;
          }
          subscriber.next(value);
          if (head < queue.length) bucket.take(bytes(queue[head]));
        }
      };

      const subscription = source.subscribe({
        next: (value) => {
          queue.push(value);
          // Re-entrant values (pushed from inside an emission) are taken by the running drain.
          if (queue.length - head === 1 && waiting === undefined && !draining) {
            bucket.take(bytes(value));
            drain();
          }
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          if (head >= queue.length && !draining) subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        waiting?.unsubscribe();
        queue.length = 0;
      };
    });
}
