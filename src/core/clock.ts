import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';

/**
 * The engine's default scheduler: timers from `asyncScheduler`, but `now()`
 * from `performance.now()`, so stage times have sub-millisecond resolution
 * and stall detection reads the same clock.
 */
export const performanceScheduler: SchedulerLike = {
  now: () => performance.now(),
  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T): Subscription {
    return asyncScheduler.schedule(work, delay, state);
  },
};
