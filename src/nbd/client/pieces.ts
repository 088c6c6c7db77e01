import type { Observer, Subscriber, Unsubscribable } from 'rxjs';
import type { FramePart } from '../../core/codec.js';
import type { NbdReplyHeader } from '../replyDecoder.js';
import type { PieceParent } from './replyObservers.js';
import type { NbdRequest } from './nbdRequest.js';

/** Where a piece is sent: one connection's engine. */
export interface PieceTarget {
  submit(request: NbdRequest, observer: Observer<FramePart<NbdReplyHeader>>): Unsubscribable;
}

/**
 * One caller-visible operation made of several NBD requests (a large read or
 * write split at the request size). Completes with `result` once every piece
 * succeeded; the first failure errors it and cancels the pieces not yet sent.
 * A record with counters instead of a combinator chain: one object per call.
 */
export class PiecedOperation<T> implements PieceParent, Unsubscribable {
  private remaining = 0;
  /** The pieces sent: most operations have one, so it gets a field of its own. */
  private first: Unsubscribable | undefined = undefined;
  private more: Unsubscribable[] | undefined = undefined;
  private finished = false;

  /** @param result emitted on success; `undefined` completes without a value (writes, flush, …). */
  constructor(
    private readonly subscriber: Subscriber<T>,
    private readonly result: T,
  ) {}

  /** Sends one piece; false once the operation has ended (stop splitting). */
  add(target: PieceTarget, request: NbdRequest, observer: Observer<FramePart<NbdReplyHeader>>): boolean {
    if (this.finished) return false;
    this.remaining++;
    const sent = target.submit(request, observer);
    if (this.first === undefined) this.first = sent;
    else (this.more ??= []).push(sent);
    return !this.finished;
  }

  /** Completes at once when there were no pieces (a zero-length call). */
  start(): void {
    if (this.remaining === 0 && !this.finished) this.finish();
  }

  pieceDone(): void {
    if (this.finished) return;
    if (--this.remaining === 0) this.finish();
  }

  pieceFailed(error: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.unsubscribe();
    this.subscriber.error(error);
  }

  /** The caller's teardown: every piece is unsubscribed (those not dispatched are dropped, the others' replies discarded). */
  unsubscribe(): void {
    this.finished = true;
    const { first, more } = this;
    this.first = undefined;
    this.more = undefined;
    first?.unsubscribe();
    if (more !== undefined) for (const s of more) s.unsubscribe();
  }

  private finish(): void {
    this.finished = true;
    this.first = undefined;
    this.more = undefined;
    if (this.result !== undefined) this.subscriber.next(this.result);
    this.subscriber.complete();
  }
}
