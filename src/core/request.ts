import type { Observer, Unsubscribable } from 'rxjs';
import type { FrameHeader, FramePart, Lane, Unit } from './codec.js';

/** Stage times in milliseconds from the engine's clock (`performance.now()` unless a scheduler is given); NaN until reached. */
export interface StageTimes {
  /** Q: the caller subscribed (the request entered our queues). */
  submitted: number;
  /** D: its bytes were handed to the kernel. */
  dispatched: number;
  /** R: the first byte of its reply was parsed. */
  replied: number;
  /** C: the final reply part was delivered (or it failed). */
  completed: number;
}

/** Where a request is in its life. */
export const enum RequestState {
  Queued = 0,
  Sending = 1,
  Sent = 2,
  Done = 3,
  /** The caller unsubscribed before dispatch: skip it. */
  Cancelled = 4,
  /** The caller unsubscribed (or it timed out) after dispatch: read and discard its reply. */
  Abandoned = 5,
}

/**
 * One request on its way through the engine: the encoded unit, the caller's
 * observer, and its stage times. A record, not a closure chain, so the hot
 * path allocates one object per request.
 */
export class RequestRecord<H extends FrameHeader = FrameHeader> implements Unit, Unsubscribable {
  state: RequestState = RequestState.Queued;
  readonly times: StageTimes;
  /** Reply payload bytes expected back (reads), counted against the byte window. */
  readonly replyBytes: number;
  /** Free slot for the protocol: e.g. the NBD command and length a simple reply needs. */
  readonly meta: unknown;
  /** Timer handle for the per-request timeout, if any. */
  timer: { unsubscribe(): void } | undefined = undefined;
  /** Set by the engine that owns the record: what `unsubscribe` does. */
  canceller: ((record: RequestRecord<H>) => void) | undefined = undefined;

  constructor(
    readonly tag: number,
    readonly lane: Lane,
    readonly buffers: readonly Buffer[],
    readonly bytes: number,
    replyBytes: number,
    meta: unknown,
    readonly observer: Observer<FramePart<H>>,
    now: number,
  ) {
    this.replyBytes = replyBytes;
    this.meta = meta;
    this.times = { submitted: now, dispatched: NaN, replied: NaN, completed: NaN };
  }

  /** Bytes this request holds in flight: what it sends plus what its reply brings back. */
  get cost(): number {
    return this.bytes + this.replyBytes;
  }

  get cancelled(): boolean {
    return this.state === RequestState.Cancelled;
  }

  /** The caller no longer wants it: dropped before dispatch, its reply discarded after. */
  unsubscribe(): void {
    this.canceller?.(this);
  }

  /** True while the caller still wants the reply. */
  get live(): boolean {
    return this.state !== RequestState.Abandoned && this.state !== RequestState.Cancelled && this.state !== RequestState.Done;
  }
}
