import { asyncScheduler, Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';

/**
 * Runs work once the event loop has handled every I/O callback that is ready
 * now (Node's check phase, `setImmediate`), not after each callback as the
 * microtask-based `asapScheduler` does. The send path flushes its batch here:
 * when one poll of the socket completes several replies, the requests their
 * callers send next leave in one write instead of one write each. Delayed
 * work falls back to `asyncScheduler`.
 */
export const endOfTurnScheduler: SchedulerLike = {
  now: () => performance.now(),
  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    if (delay > 0) return asyncScheduler.schedule(work, delay, state);
    return new EndOfTurnAction(work, state);
  },
};

class EndOfTurnAction<T> extends Subscription implements SchedulerAction<T> {
  private immediate: NodeJS.Immediate | undefined;
  private timeout: NodeJS.Timeout | undefined;

  constructor(
    private readonly work: (this: SchedulerAction<T>, state?: T) => void,
    state?: T,
  ) {
    super(() => this.cancel());
    this.schedule(state);
  }

  /** Runs the work again at the end of the next turn (or later, on the async scheduler). */
  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.cancel();
    if (delay > 0) this.timeout = setTimeout(() => this.run(state), delay);
    else this.immediate = setImmediate(() => this.run(state));
    return this;
  }

  private run(state?: T): void {
    this.immediate = undefined;
    this.timeout = undefined;
    if (!this.closed) this.work.call(this, state);
  }

  private cancel(): void {
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    if (this.timeout !== undefined) clearTimeout(this.timeout);
    this.immediate = undefined;
    this.timeout = undefined;
  }
}
