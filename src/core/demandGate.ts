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
      this.update();
    },
  };

  /** False while the sink holds batches back; already current when the demand change it causes is emitted. */
  get sinkReady(): boolean {
    return this.ready;
  }

  /** Whether the send-ahead allowance is open; setting it to its value changes nothing. */
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
