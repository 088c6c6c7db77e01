import { Observable, type Observer } from 'rxjs';
import { Relay } from './relay.js';

/**
 * The send path's demand, which `prioritize` follows: open while the window
 * has credit, the socket sink is ready and the bytes admitted but not yet in
 * the kernel are under the send-ahead allowance. `demand$` gives the current
 * value on subscription, then changes only.
 *
 * It does what `combineLatest([credit, ready, sendAhead]).pipe(map(all),
 * distinctUntilChanged())` over three BehaviorSubjects did, in plain fields.
 * A caller that keeps exactly the window's depth in flight (`rxbridge bench
 * --qd N` does) flips the credit twice per request, and every flip through
 * those Subjects and operators allocated an array, an iterator and closures.
 */
export class DemandGate {
  private credit = true;
  private ready = true;
  private ahead = true;
  private open = true;
  private readonly changes = new Relay<boolean>();

  /**
   * @param onReady told each change of the sink's readiness, before the demand changes.
   */
  constructor(private readonly onReady: (ready: boolean) => void = () => {}) {}

  /** The demand now, then each change. */
  readonly demand$: Observable<boolean> = new Observable<boolean>((subscriber) => {
    subscriber.next(this.open);
    return this.changes.subscribe(subscriber);
  });

  /** For the window: whether another item would be admitted now. */
  readonly creditObserver: Pick<Observer<boolean>, 'next'> = {
    next: (value) => {
      this.credit = value;
      this.update();
    },
  };

  /** For the socket sink: false while it holds batches back. */
  readonly readyObserver: Pick<Observer<boolean>, 'next'> = {
    next: (value) => {
      this.ready = value;
      this.onReady(value);
      this.update();
    },
  };

  /** Whether the send-ahead allowance is open. */
  get sendAheadOpen(): boolean {
    return this.ahead;
  }

  set sendAheadOpen(value: boolean) {
    this.ahead = value;
    this.update();
  }

  /** Set before emitting, so a re-entrant change made by a subscriber sees this one as done. */
  private update(): void {
    const open = this.credit && this.ready && this.ahead;
    if (open === this.open) return;
    this.open = open;
    this.changes.next(open);
  }
}
