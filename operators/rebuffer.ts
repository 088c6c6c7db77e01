import { asapScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { Batch, Unit } from '../src/core/codec.js';
import { InvalidArgumentError } from '../src/core/errors.js';
import { BatchBuilder } from './internal/batchBuilder.js';

export interface RebufferOptions {
  /**
   * A batch that reaches this many bytes is emitted at once (default 64 KiB).
   * A function is asked at each unit: the engine widens it during pure bulk
   * transfer (see SendAheadPolicy).
   */
  readonly targetBytes?: number | (() => number);
  /** Hard cap on a batch's bytes (default 1 MiB); larger payloads are split by reference. */
  readonly maxBatchBytes?: number;
  /** Buffers shorter than this are copied together into one buffer (default 4 KiB). */
  readonly copyBelow?: number;
  /** Runs the end-of-turn flush (default asapScheduler). */
  readonly scheduler?: SchedulerLike;
}

/**
 * Turns units into write batches: small buffers copied together, large
 * payloads by reference, one batch per event-loop turn unless it fills up.
 *
 * ```
 * source: -(abc)---d-|     (a, b, c, d: small units; a, b, c in one turn)
 * result: -x-------y-|     x = one buffer with a+b+c copied in, y = [d's buffer]
 * ```
 *
 * Within one turn, units accumulate; the batch is emitted when it reaches
 * `targetBytes`, or by one flush scheduled on `scheduler` for the end of the
 * current turn: nothing ever waits for more to arrive. A batch never exceeds
 * `maxBatchBytes`: a larger buffer is split into `subarray` views across
 * consecutive batches, with no other unit's bytes in between. A batch's
 * `units` are the units whose last byte it holds (so the sink can stamp them
 * dispatched after writing it); a unit without bytes goes with the batch being
 * built. Buffers are read only when their batch is built: a caller must not
 * reuse them before then.
 *
 * Completion flushes what is pending, then completes; an error drops what is
 * pending and errors; teardown cancels the scheduled flush.
 *
 * @example
 * ```ts
 * units$.pipe(rebuffer({ targetBytes: 64 * 1024 })).subscribe((batch) => {
 *   socket.cork();
 *   for (const buf of batch.buffers) socket.write(buf);
 *   process.nextTick(() => socket.uncork());
 * });
 * ```
 * @param options Batch sizes, copy threshold and the flush scheduler.
 * @return An operator that emits write batches.
 */
export function rebuffer<U extends Unit>(options: RebufferOptions = {}): OperatorFunction<U, Batch<U>> {
  const maxBatchBytes = options.maxBatchBytes ?? 1024 * 1024;
  const copyBelow = options.copyBelow ?? 4096;
  const scheduler = options.scheduler ?? asapScheduler;
  const target = options.targetBytes ?? 64 * 1024;
  if (!(maxBatchBytes >= 1) || !(copyBelow >= 0) || !(typeof target === 'function' || target >= 1)) {
    throw new InvalidArgumentError('rebuffer needs targetBytes >= 1, maxBatchBytes >= 1 and copyBelow >= 0');
  }
  // A full batch goes at once even when the target is set above the cap.
  const fixedTarget = typeof target === 'function' ? 0 : Math.min(target, maxBatchBytes);
  const targetBytes = typeof target === 'function' ? () => Math.min(Math.max(1, target()), maxBatchBytes) : () => fixedTarget;

  return (source) =>
    new Observable<Batch<U>>((subscriber) => {
      const builder = new BatchBuilder<U>(maxBatchBytes, copyBelow);
      /** Units that arrived re-entrantly (from inside an emission); appended after the current one. */
      const backlog: U[] = [];
      let busy = false;
      let sourceDone = false;
      let flushScheduled = false;
      let flushSubscription: Subscription | undefined;

      const emit = (batch: Batch<U>) => subscriber.next(batch);

      const flush = () => {
        flushScheduled = false;
        flushSubscription = undefined;
        if (!builder.isEmpty && !subscriber.closed) emit(builder.take());
      };

      const cancelFlush = () => {
        flushScheduled = false;
        flushSubscription?.unsubscribe();
        flushSubscription = undefined;
      };

      const appendOne = (unit: U) => {
        builder.append(unit, emit);
        if (builder.bytes >= targetBytes()) {
          emit(builder.take());
        } else if (!flushScheduled) {
          flushScheduled = true;
          const scheduled = scheduler.schedule(flush);
          // A synchronous scheduler has already run the flush.
          if (flushScheduled) flushSubscription = scheduled;
        }
      };

      const finish = () => {
        cancelFlush();
        if (!builder.isEmpty) emit(builder.take());
        subscriber.complete();
      };

      subscriber.add(
        source.subscribe({
          next: (unit) => {
            if (busy) {
              backlog.push(unit);
              return;
            }
            busy = true;
            try {
              appendOne(unit);
              if (backlog.length > 0) {
                for (let i = 0; i < backlog.length && !subscriber.closed; i++) appendOne(backlog[i]);
                backlog.length = 0;
              }
            } catch (err) {
              subscriber.error(err);
            } finally {
              busy = false;
            }
            if (sourceDone && !subscriber.closed) finish();
          },
          error: (err) => {
            cancelFlush();
            subscriber.error(err);
          },
          complete: () => {
            sourceDone = true;
            if (!busy) finish(); // else the running append finishes after its backlog
          },
        }),
      );

      return () => {
        cancelFlush();
        builder.reset();
        backlog.length = 0;
      };
    });
}
