import { BehaviorSubject, Subscription, filter, map, of, switchMap, take, timer, type Observable, type Observer, type Unsubscribable } from 'rxjs';
import type { FramePart } from '../../core/codec.js';
import type { EngineStats } from '../../core/engine.js';
import type { EngineEvent } from '../../core/events.js';
import { QueueFullError, RxbridgeError } from '../../core/errors.js';
import { OffsetDataAssembler, type NbdReplyHeader } from '../replyDecoder.js';
import type { ClientConnection, ConnectionStats } from './clientConnection.js';
import type { NbdConnection } from './nbdConnection.js';
import type { NbdRequest } from './nbdRequest.js';
import type { ResolvedReconnect } from './reconnectPolicy.js';

type Part = FramePart<NbdReplyHeader>;

/** A reply observer that can start over when its request is sent again. */
export interface Replayable extends Observer<Part> {
  reset?(): void;
}

/** Everything pending failed because no new connection came in time. */
export class ReconnectGaveUpError extends RxbridgeError {
  constructor(cause: unknown, ms: number) {
    super('RXB_RECONNECT_GAVE_UP', `no connection for ${ms} ms after it was lost; gave up`, { cause });
  }
}

const STATS_ZERO: EngineStats = {
  queued: 0, inFlight: 0, inFlightBytes: 0, windowBytes: 0, socketBufferedBytes: 0, sinkReady: false,
  unsentBytes: 0, batches: 0, bytesSent: 0, submitted: 0, completed: 0, failed: 0,
};

/**
 * One request as the reconnecting connection carries it: sent on the current
 * connection; if that connection is lost before the reply is complete, it is
 * held and sent again (NBD reads and writes are idempotent) on the next one.
 */
class ReplayingRequest implements Observer<Part>, Unsubscribable {
  private inner: Unsubscribable | undefined;
  private sentOn: NbdConnection | undefined;
  done = false;

  constructor(
    private readonly owner: ReconnectingConnection,
    readonly request: NbdRequest,
    private readonly observer: Replayable,
  ) {}

  sendOn(connection: NbdConnection): void {
    this.sentOn = connection;
    this.inner = connection.submit(this.request, this);
  }

  next(part: Part): void {
    this.observer.next(part);
  }

  complete(): void {
    this.done = true;
    this.owner.counts.completed++;
    this.observer.complete();
  }

  error(err: Error): void {
    // The request's own failure (a timeout, a full queue) is final; a lost connection is not.
    if (this.sentOn?.engine.ended && this.owner.hold(this, err)) {
      this.observer.reset?.();
      return;
    }
    this.done = true;
    this.owner.counts.failed++;
    this.observer.error(err);
  }

  /** Fails it without a reply (the reconnect gave up, or the client was destroyed). */
  fail(err: Error): void {
    this.done = true;
    this.owner.counts.failed++;
    this.observer.error(err);
  }

  /** The caller no longer wants it: dropped, or its reply discarded. */
  unsubscribe(): void {
    if (this.done) return;
    this.done = true;
    this.inner?.unsubscribe();
    this.owner.forget(this);
  }
}

/**
 * A logical connection that survives the loss of its socket: requests in
 * flight are held and replayed on a new connection, new requests wait, and
 * after the deadline everything pending fails with RXB_RECONNECT_GAVE_UP.
 * The policy decides the delays, as a function or as exponential back-off.
 */
export class ReconnectingConnection implements ClientConnection {
  readonly assembler = new OffsetDataAssembler();
  private readonly current$: BehaviorSubject<NbdConnection | undefined>;
  private readonly waiting = new Set<ReplayingRequest>();
  private watch: Subscription | undefined;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private deadline: ReturnType<typeof setTimeout> | undefined;
  private failure: Error | undefined;
  private closing = false;
  private attempt = 0;
  /** Replays so far: requests sent again on a new connection. */
  private replayed = 0;
  private reconnects = 0;
  /** Writes of the connections lost so far. */
  private previous = { batches: 0, bytesSent: 0 };
  /** Counted per request, not per attempt: a replayed request counts once. */
  readonly counts = { submitted: 0, completed: 0, failed: 0 };

  constructor(
    first: NbdConnection,
    private readonly reopen: () => Promise<NbdConnection>,
    private readonly policy: ResolvedReconnect,
    private readonly maxWaiting: number,
  ) {
    this.current$ = new BehaviorSubject<NbdConnection | undefined>(undefined);
    this.adopt(first);
  }

  get events$(): Observable<EngineEvent> {
    return this.current$.pipe(switchMap((c) => (c ? c.events$ : [])));
  }

  get load(): number {
    return (this.current$.value?.load ?? 0) + this.waiting.size;
  }

  submit(request: NbdRequest, observer: Replayable): Unsubscribable {
    const r = new ReplayingRequest(this, request, observer);
    this.counts.submitted++;
    const current = this.current$.value;
    if (this.failure) r.fail(this.failure);
    else if (current && !current.engine.ended) r.sendOn(current);
    else if (!this.hold(r, undefined)) r.fail(new QueueFullError('reconnect queue', this.maxWaiting));
    return r;
  }

  /** Holds a request until the next connection; false when it must fail instead. */
  hold(r: ReplayingRequest, cause: Error | undefined): boolean {
    if (this.failure || this.closing || this.waiting.size >= this.maxWaiting) return false;
    this.waiting.add(r);
    if (cause) this.lost(cause);
    return true;
  }

  forget(r: ReplayingRequest): void {
    this.waiting.delete(r);
  }

  stats(): ConnectionStats {
    const s = this.current$.value?.engine.stats() ?? STATS_ZERO;
    const p = this.previous;
    return {
      ...s,
      queued: s.queued + this.waiting.size,
      ...this.counts,
      batches: s.batches + p.batches,
      bytesSent: s.bytesSent + p.bytesSent,
      reconnects: this.reconnects,
      replayed: this.replayed,
    };
  }

  idle(): Observable<void> {
    const c = this.current$.value;
    if (c && this.waiting.size === 0) return c.idle();
    // Held requests wait for the next connection: look again now and then.
    return timer(0, 20).pipe(
      filter(() => this.failure !== undefined || (this.waiting.size === 0 && (this.current$.value?.load ?? 0) === 0)),
      take(1),
      map(() => undefined),
    );
  }

  disconnect(): Observable<void> {
    this.closing = true;
    this.stopTimers();
    this.watch?.unsubscribe();
    const c = this.current$.value;
    this.current$.complete();
    return c && !c.engine.ended ? c.disconnect() : of(undefined);
  }

  destroy(): void {
    this.closing = true;
    this.stopTimers();
    this.watch?.unsubscribe();
    this.current$.value?.destroy();
    this.current$.complete();
    this.failAll(new RxbridgeError('RXB_CONNECTION_CLOSED', 'the client was destroyed'));
  }

  private adopt(connection: NbdConnection): void {
    this.watch?.unsubscribe();
    const old = this.current$.value?.engine.stats();
    if (old) this.previous = { batches: this.previous.batches + old.batches, bytesSent: this.previous.bytesSent + old.bytesSent };
    this.current$.next(connection);
    this.watch = connection.engine.terminated$.subscribe((cause) => {
      if (cause && !this.closing) this.lost(cause);
    });
  }

  /** The connection is gone: start trying again, and set the deadline. */
  private lost(cause: Error): void {
    if (this.retry !== undefined || this.failure || this.closing) return;
    this.current$.value?.destroy();
    this.attempt = 0;
    if (this.deadline === undefined && Number.isFinite(this.policy.giveUpAfterMs)) {
      const ms = this.policy.giveUpAfterMs;
      this.deadline = setTimeout(() => this.giveUp(new ReconnectGaveUpError(cause, ms)), ms);
    }
    this.schedule(cause);
  }

  private schedule(cause: Error): void {
    const delay = this.policy.strategy(++this.attempt, cause);
    if (delay === null) {
      this.giveUp(new ReconnectGaveUpError(cause, 0));
      return;
    }
    this.retry = setTimeout(() => {
      this.reopen().then(
        (connection) => {
          this.retry = undefined;
          if (this.closing || this.failure) {
            connection.destroy();
            return;
          }
          clearTimeout(this.deadline);
          this.deadline = undefined;
          this.reconnects++;
          this.adopt(connection);
          const held = [...this.waiting];
          this.waiting.clear();
          for (const r of held) {
            this.replayed++;
            r.sendOn(connection);
          }
        },
        (err: Error) => {
          this.retry = undefined;
          if (!this.closing && !this.failure) this.schedule(err);
        },
      );
    }, delay);
  }

  private giveUp(error: Error): void {
    this.stopTimers();
    this.failure = error;
    this.failAll(error);
  }

  private failAll(error: Error): void {
    const held = [...this.waiting];
    this.waiting.clear();
    for (const r of held) r.fail(error);
  }

  private stopTimers(): void {
    clearTimeout(this.retry);
    clearTimeout(this.deadline);
    this.retry = undefined;
    this.deadline = undefined;
  }
}
