import { asyncScheduler, Observable, type OperatorFunction, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import { InvalidArgumentError } from '../src/core/errors.js';
import type { RequestEvent, StallCause, StallEvent } from '../src/core/events.js';
import type { RequestRecord } from '../src/core/request.js';
import { StallTracker } from './stallTracker.js';

/** One threshold for every class, or per class with a `default` key (required) for the others. */
export type StallThresholds = number | Readonly<Record<string, number>>;

export interface DetectStallsOptions {
  /** How long the oldest pending request of a class may wait before its class is stalled. */
  readonly thresholdMs: StallThresholds;
  /** Names the cause from the oldest waiting request (e.g. from its state and stage times). */
  readonly cause: (oldest: RequestRecord<any>) => StallCause;
  /** Check period while work is pending; default a quarter of the smallest threshold (at least 1 ms). */
  readonly checkEveryMs?: number;
  /** Runs the periodic check; default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** The clock `RequestRecord.times` were taken on; default `scheduler.now()`. */
  readonly now?: () => number;
}

/**
 * Reports stalls: a request class whose oldest pending request has waited
 * longer than the class threshold, or (class '*') a connection where nothing
 * completed for longer than the default threshold while work was pending.
 *
 * ```
 * events: r-wcwcwcwcR---|    r/R: a read submitted/completed, w/c: writes
 *         detectStalls({ thresholdMs: { default: 10, read: 5 } })
 * stalls: ------S---E---|    S: read stall start (waited 6), E: end (10 in all)
 * ```
 *
 * A read starved behind bulk writes is a stall even while writes keep
 * completing. Each stall is reported once on 'start' (with the wait so far and
 * the cause named from its oldest request) and once on 'end' (with the whole
 * duration), as soon as the event that relieves it arrives. Pending requests
 * are tracked in O(1) per event; one periodic check runs on the scheduler only
 * while requests are pending (it lapses at the first check that finds none),
 * and none is left after teardown. Completion and errors pass through.
 *
 * @example
 * events$.pipe(
 *   filter((e): e is RequestEvent => e.type === 'request'),
 *   detectStalls({ thresholdMs: { default: 1000, read: 200 }, cause: causeOfStall }),
 * ).subscribe((stall) => log(stall));
 *
 * @param options Thresholds, the cause function, the check period, scheduler and clock.
 * @return An operator from request lifecycle events to stall events.
 */
export function detectStalls(options: DetectStallsOptions): OperatorFunction<RequestEvent, StallEvent> {
  const thresholds: Readonly<Record<string, number>> =
    typeof options.thresholdMs === 'number' ? { default: options.thresholdMs } : options.thresholdMs;
  checkDuration('thresholdMs.default', thresholds.default);
  for (const [cls, ms] of Object.entries(thresholds)) checkDuration(`thresholdMs.${cls}`, ms);
  const defaultMs = thresholds.default!;
  const thresholdFor = (cls: string) => (Object.hasOwn(thresholds, cls) ? thresholds[cls]! : defaultMs);
  const checkEveryMs = options.checkEveryMs ?? Math.max(1, Math.min(...Object.values(thresholds)) / 4);
  if (!(Number.isFinite(checkEveryMs) && checkEveryMs > 0)) {
    throw new InvalidArgumentError(`checkEveryMs must be a finite number > 0, got ${checkEveryMs}`);
  }
  const scheduler = options.scheduler ?? asyncScheduler;
  const now = options.now ?? (() => scheduler.now());

  return (source) =>
    new Observable<StallEvent>((subscriber) => {
      const tracker = new StallTracker(thresholdFor, defaultMs, options.cause);
      let timer: Subscription | undefined;

      function check(this: SchedulerAction<void>): void {
        try {
          tracker.check(now(), subscriber);
        } catch (err) {
          subscriber.error(err);
          return;
        }
        if (tracker.pending > 0 && !subscriber.closed) this.schedule(undefined, checkEveryMs);
        else timer = undefined;
      }

      const subscription = source.subscribe({
        next(event) {
          if (subscriber.closed) return;
          switch (event.phase) {
            case 'submitted':
              if (tracker.submitted(event.class, event.record, now()) && timer === undefined) {
                timer = scheduler.schedule(check, checkEveryMs);
              }
              break;
            case 'completed':
            case 'failed':
            case 'cancelled':
              tracker.settled(event.class, event.record, now(), subscriber);
              break;
          }
        },
        error(err) {
          subscriber.error(err);
        },
        complete() {
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        timer?.unsubscribe();
        timer = undefined;
        tracker.clear();
      };
    });
}

function checkDuration(name: string, ms: number | undefined): void {
  if (!(typeof ms === 'number' && Number.isFinite(ms) && ms >= 0)) throw new InvalidArgumentError(`${name} must be a finite number >= 0, got ${ms}`);
}
