import { Observable, type Subscriber } from 'rxjs';

/**
 * A hot, multicast stream for the engine's per-request signals (submitted,
 * admitted, released): what a Subject does for them, without the garbage an
 * RxJS Subject makes on every `next` in the build Node loads (an iterator,
 * its result objects and a closure per call, a fifth of what a request
 * allocated). It never completes or errors; subscribers leave by
 * unsubscribing.
 */
export class Relay<T> extends Observable<T> {
  /** Replaced, never mutated, so a `next` in progress keeps its list. */
  private subscribers: readonly Subscriber<T>[] = [];

  constructor() {
    super((subscriber) => {
      this.subscribers = [...this.subscribers, subscriber];
      return () => {
        this.subscribers = this.subscribers.filter((s) => s !== subscriber);
      };
    });
  }

  /** True while anyone listens: callers skip building values nobody would see. */
  get observed(): boolean {
    return this.subscribers.length > 0;
  }

  next(value: T): void {
    const list = this.subscribers;
    for (let i = 0; i < list.length; i++) list[i]!.next(value);
  }
}
