import type { Socket } from 'node:net';
import { BehaviorSubject, Observable, Subject, Subscription, type Observer, type SchedulerLike, type Unsubscribable, filter, merge, share, take, tap } from 'rxjs';
import type { Batch, FrameCursor, FramePart, FrameHeader } from './codec.js';
import type { EngineCodec, EngineOptions } from './engineOptions.js';
import { ConnectionClosedError, QueueFullError, RequestTimeoutError, toRxbridgeError } from './errors.js';
import type { EngineEvent, RequestEvent, StallCause } from './events.js';
import { RequestRecord, RequestState } from './request.js';
import { Relay } from './relay.js';
import { TagAllocator } from './tagAllocator.js';
import { TagTable } from './tagTable.js';
import { performanceScheduler } from './clock.js';
import { microtaskScheduler } from './microtaskScheduler.js';
import { DEFAULT_PIECE_BYTES, ReceivePlanner } from './receivePlanner.js';
import { LatencyBudget } from './latencyBudget.js';
import { SendAheadPolicy } from './sendAheadPolicy.js';
import { DemandGate } from './demandGate.js';
import { frame } from '../../operators/frame.js';
import { matchReplies, type ReplyEvent } from '../../operators/matchReplies.js';
import { prioritize } from '../../operators/prioritize.js';
import { window } from '../../operators/window.js';
import { rebuffer } from '../../operators/rebuffer.js';
import { detectStalls } from '../../operators/detectStalls.js';
import { socketSource } from '../../streams/socketSource.js';
import { socketSink, type Written } from '../../streams/socketSink.js';

const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;

/** A snapshot of where the engine's work is. */
export interface EngineStats {
  /** Requests accepted and not yet admitted to the window. */
  readonly queued: number;
  /** Requests admitted whose reply is not complete. */
  readonly inFlight: number;
  /** Bytes (both directions) held by requests in flight. */
  readonly inFlightBytes: number;
  /** The byte window now (it adapts to the command lane's queueing delay). */
  readonly windowBytes: number;
  /** Bytes the socket holds in user space (Node's write buffer). */
  readonly socketBufferedBytes: number;
  /** False while the sink waits for the socket to drain. */
  readonly sinkReady: boolean;
  /** Bytes of requests submitted but not yet handed to the kernel (our queues plus Node's write buffer). */
  readonly unsentBytes: number;
  /** Write batches handed to the kernel so far: one writev each. */
  readonly batches: number;
  /** Bytes handed to the kernel so far. */
  readonly bytesSent: number;
  readonly submitted: number;
  readonly completed: number;
  readonly failed: number;
}

/**
 * The reactive engine over one connected socket: requests in, replies out.
 *
 * Send path: submitted records → prioritize (lanes) → window (credits) →
 * rebuffer (batches per turn) → socket sink. Receive path: socket source →
 * frame → matchReplies → the caller's observer. The two paths share nothing
 * but the pending table, so receiving never waits for sending.
 */
export class Engine<H extends FrameHeader, M> {
  /** Stage times per request, stalls with their cause, connection state. Costs nothing while unobserved. */
  readonly events$: Observable<EngineEvent>;

  /** Requests admitted and awaiting their reply, by tag (not Maps: see TagTable). */
  private readonly pending = new TagTable<RequestRecord<H>>();
  /** Every request queued or in flight, by tag. */
  private readonly live = new TagTable<RequestRecord<H>>();
  private readonly tags = new TagAllocator(this.live);
  private readonly submissions = new Relay<RequestRecord<H>>();
  private readonly admitted = new Relay<RequestRecord<H>>();
  private readonly released = new Relay<RequestRecord<H>>();
  private readonly requestEvents = new Relay<RequestEvent>();
  private readonly connectionEvents = new Subject<EngineEvent>();
  private readonly subscription = new Subscription();
  private readonly terminated = new BehaviorSubject<Error | null | undefined>(undefined);
  private readonly options: EngineOptions;
  private readonly now: () => number;
  private readonly scheduler: SchedulerLike;
  private inFlight = 0;
  private inFlightBytes = 0;
  private counts = { submitted: 0, completed: 0, failed: 0, batches: 0, bytesSent: 0 };
  private unsentBytes = 0;
  /** Requests in flight whose reply brings at least `directMin` bytes: while they are all there is, reads are split lead/data. */
  private largeInFlight = 0;
  private readonly directMin: number;
  /** Where reads land while large replies are expected; undefined when the codec cannot say (no receiveInto). */
  private readonly receivePlanner: ReceivePlanner | undefined;
  /** Bytes admitted by the window and not yet handed to the kernel. */
  private admittedUnsent = 0;
  /** How far past the kernel admissions may go, and how large write batches grow. */
  private readonly sendAheadPolicy: SendAheadPolicy;
  /** Whether prioritize may hand on requests: window credit, sink readiness, send-ahead. */
  private readonly gate = new DemandGate();
  private readonly budget: LatencyBudget | undefined;
  private endError: Error | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly codec: EngineCodec<H, M>,
    options: EngineOptions = {},
  ) {
    this.options = options;
    const scheduler = options.scheduler ?? performanceScheduler;
    this.scheduler = scheduler;
    this.now = () => scheduler.now();
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    const target = options.latencyTargetMs ?? 5;
    this.budget = target > 0
      ? new LatencyBudget({ targetMs: target, minBytes: Math.min(maxBytes, options.minBytes ?? 256 * 1024), maxBytes })
      : undefined;
    this.sendAheadPolicy = new SendAheadPolicy({
      narrowBytes: options.sendAheadBytes ?? 256 * 1024,
      narrowBatchBytes: options.batchTargetBytes ?? 64 * 1024,
      wideBytes: options.freeFlowBytes ?? options.maxBatchBytes ?? 1024 * 1024,
    });
    this.directMin = options.directReceiveBytes ?? 64 * 1024;
    this.receivePlanner = codec.receiveInto && this.directMin > 0
      ? new ReceivePlanner(this.directMin, codec.leadBytes ?? 0, options.directPieceBytes ?? DEFAULT_PIECE_BYTES)
      : undefined;
    this.events$ = this.buildEvents();
    this.startReceiving();
    this.startSending();
  }

  /**
   * A cold Observable of the reply parts of one request. Nothing is queued
   * until subscription; unsubscribing before dispatch drops the request,
   * after dispatch its reply is read and discarded.
   */
  request(meta: M): Observable<FramePart<H>> {
    return new Observable<FramePart<H>>((subscriber) => this.submit(meta, subscriber));
  }

  /**
   * What `request` does, for callers that keep their own observer object:
   * queues the request at once and returns its record to unsubscribe with.
   * No Observable and no Subscriber per request. The observer is called
   * directly (errors synchronously when the engine has ended or the queue is
   * full), at most once with complete or error, and never after unsubscribing.
   */
  submit(meta: M, observer: Observer<FramePart<H>>): Unsubscribable {
    if (this.endError) {
      observer.error(this.endError);
      return Subscription.EMPTY;
    }
    const queued = this.live.size - this.inFlight;
    const maxQueued = this.options.maxQueued ?? 65536;
    if (queued >= maxQueued) {
      observer.error(new QueueFullError('request queue', maxQueued));
      return Subscription.EMPTY;
    }
    const tag = this.tags.allocate();
    const buffers = this.codec.encode(meta, tag);
    let bytes = 0;
    for (let i = 0; i < buffers.length; i++) bytes += buffers[i].length;
    const record = new RequestRecord<H>(
      tag, this.codec.lane(meta), buffers, bytes, this.codec.replyBytes(meta), meta, observer, this.now(),
    );
    record.canceller = this.cancel;
    this.live.set(record.tag, record);
    this.counts.submitted++;
    this.unsentBytes += bytes;
    this.emitRequest('submitted', record);
    this.submissions.next(record);
    return record;
  }

  /** A record's unsubscribe: dropped while queued, its reply discarded once sent. */
  private readonly cancel = (record: RequestRecord<H>): void => {
    if (record.state === RequestState.Queued) {
      record.state = RequestState.Cancelled;
      this.live.delete(record.tag);
      this.unsentBytes -= record.bytes;
      this.emitRequest('cancelled', record);
    } else if (record.state === RequestState.Sending || record.state === RequestState.Sent) {
      record.state = RequestState.Abandoned;
      this.emitRequest('cancelled', record);
    }
  };

  stats(): EngineStats {
    return {
      queued: this.live.size - this.inFlight,
      inFlight: this.inFlight,
      inFlightBytes: this.inFlightBytes,
      windowBytes: this.budget?.limit ?? this.options.maxBytes ?? DEFAULT_MAX_BYTES,
      socketBufferedBytes: this.socket.writableLength,
      sinkReady: this.gate.sinkReady,
      unsentBytes: this.unsentBytes,
      ...this.counts,
    };
  }

  /** Requests queued or in flight (what `stats()` reports as queued + inFlight, without building a snapshot). */
  get load(): number {
    return this.live.size;
  }

  /** True once the engine has stopped (the connection ended, failed, or was closed). */
  get ended(): boolean {
    return this.endError !== undefined;
  }

  /** Completes when no request is queued or in flight (at once if idle). */
  idle(): Observable<void> {
    return new Observable<void>((subscriber) => {
      const check = () => {
        if (this.live.size === 0 && this.inFlight === 0) {
          subscriber.next();
          subscriber.complete();
          return true;
        }
        return false;
      };
      if (check()) return;
      const sub = merge(this.released, this.terminated).subscribe(() => check());
      return () => sub.unsubscribe();
    });
  }

  /** Emits the cause once the engine has stopped (null for a clean stop). */
  get terminated$(): Observable<Error | null> {
    return this.terminated.pipe(
      filter((v): v is Error | null => v !== undefined),
      take(1),
    );
  }

  /**
   * Stops both paths: every request still pending fails with `error` (or a
   * ConnectionClosedError). The socket is left to its owner.
   */
  terminate(error?: Error): void {
    if (this.endError) return;
    this.endError = error ?? new ConnectionClosedError('engine stopped');
    this.subscription.unsubscribe();
    // Fail them in submission order, as a caller would expect.
    const records = this.live.values().sort((a, b) => a.times.submitted - b.times.submitted || a.tag - b.tag);
    this.live.clear();
    this.pending.clear();
    // Nothing is in flight any more: idle() (and so a polite close) must not wait for replies that cannot come.
    this.inFlight = 0;
    this.inFlightBytes = 0;
    this.largeInFlight = 0;
    this.unsentBytes = 0;
    this.admittedUnsent = 0;
    for (const record of records) this.settleError(record, this.endError);
    this.connectionEvents.next({ type: 'connection', state: 'closed', error });
    this.terminated.next(error ?? null);
  }

  private startReceiving(): void {
    const o = this.options;
    const cursor: FrameCursor<H> = { header: undefined, offset: 0, remaining: 0 };
    const planner = this.receivePlanner;
    const nextBuffer = planner && (() => planner.next(cursor, this.largeInFlight > 0 && this.largeInFlight === this.inFlight, this.payloadDestination));
    const replies$ = socketSource(this.socket, { nextBuffer }).pipe(
      frame(this.codec.createDecoder((tag) => this.pending.get(tag)), { sliceAbove: o.sliceAbove, cursor }),
      matchReplies<H, RequestRecord<H>>(this.admitted, {
        pending: this.pending,
        timeoutMs: o.timeoutMs,
        scheduler: this.scheduler,
      }),
    );
    this.subscription.add(
      replies$.subscribe({
        next: (event) => this.onReply(event),
        error: (err) => this.terminate(toRxbridgeError(err)),
        complete: () => this.terminate(new ConnectionClosedError('the peer closed the connection')),
      }),
    );
  }

  private startSending(): void {
    const o = this.options;
    // Bytes past the scheduler but not yet in the kernel can no longer be
    // reordered: keep them to about one batch (the gate's send-ahead), so a
    // command that arrives now is decided on, not queued behind a burst
    // admitted in the same turn.
    const gate = this.gate;
    const isCancelled = (r: RequestRecord<H>) => r.state === RequestState.Cancelled;
    const cost = (r: RequestRecord<H>) => r.cost;
    this.subscription.add(
      this.submissions
        .pipe(
          prioritize<RequestRecord<H>>({ demand$: gate.demand$, dataShare: o.dataShare, cost, isCancelled }),
          window<RequestRecord<H>>({
            maxRequests: o.maxRequests ?? 64,
            maxBytes: o.maxBytes ?? DEFAULT_MAX_BYTES,
            budget: this.budget,
            release$: this.released,
            cost,
            credit: gate.creditObserver,
            isCancelled,
            keyOf: (r) => r.tag,
          }),
          tap((record) => this.onAdmit(record)),
          rebuffer<RequestRecord<H>>({
            targetBytes: () => this.sendAheadPolicy.batchTargetBytes,
            maxBatchBytes: o.maxBatchBytes,
            copyBelow: o.copyBelow,
            scheduler: microtaskScheduler,
          }),
          socketSink<Batch<RequestRecord<H>>>(this.socket, {
            lowWaterMark: o.lowWaterMark,
            ready: gate.readyObserver,
            onWrite: (bytes, takenWhole) => {
              this.sendAheadPolicy.onWrite(bytes, takenWhole);
              this.updateSendAhead();
            },
          }),
        )
        .subscribe({
          next: (written) => this.onWritten(written),
          error: (err) => this.terminate(toRxbridgeError(err)),
        }),
    );
  }

  /** The destination of the next `length` payload bytes, if the request has one and still wants them. */
  private readonly payloadDestination = (cursor: FrameCursor<H>, length: number): Buffer | undefined => {
    const header = cursor.header!;
    const record = this.pending.get(header.tag);
    if (record === undefined || (record.state !== RequestState.Sending && record.state !== RequestState.Sent)) return undefined;
    return this.codec.receiveInto!(record.meta as M, header, cursor.offset, length);
  };

  private onAdmit(record: RequestRecord<H>): void {
    record.state = RequestState.Sending;
    if (record.lane === 'command') this.sendAheadPolicy.onCommand();
    this.admittedUnsent += record.bytes;
    this.updateSendAhead();
    this.inFlight++;
    this.inFlightBytes += record.cost;
    if (record.replyBytes >= this.directMin) this.largeInFlight++;
    this.admitted.next(record);
  }

  private onWritten(written: Written<Batch<RequestRecord<H>>>): void {
    const units = written.batch.units;
    this.counts.batches++;
    this.counts.bytesSent += written.batch.bytes;
    for (let i = 0; i < units.length; i++) {
      const record = units[i];
      record.times.dispatched = written.handedAt;
      this.unsentBytes -= record.bytes;
      this.admittedUnsent -= record.bytes;
      if (record.state === RequestState.Sending) record.state = RequestState.Sent;
      this.emitRequest('dispatched', record);
    }
    this.updateSendAhead();
  }

  /** Admissions pause while the bytes admitted and not yet in the kernel reach the policy's send-ahead. */
  private updateSendAhead(): void {
    const open = this.admittedUnsent < this.sendAheadPolicy.sendAheadBytes;
    this.gate.sendAheadOpen = open;
  }

  private onReply(event: ReplyEvent<H, RequestRecord<H>>): void {
    const record = event.record;
    if (event.kind === 'failed') {
      // Only a timeout fails one request; any other failure means the reply
      // stream ended: stop the engine first, so every request (this one too)
      // fails with the engine already marked as ended.
      if (!(event.error instanceof RequestTimeoutError)) {
        this.terminate(event.error);
        return;
      }
      this.release(record);
      this.settleError(record, event.error);
      // A peer that lets a request go unanswered that long is taken for
      // dead (as Linux's nbd driver and NVMe/TCP hosts do): fail the rest
      // now, and new requests at once, instead of one timeout at a time.
      this.terminate(new ConnectionClosedError(`connection dropped: ${event.error.message}`, { cause: event.error }));
      return;
    }
    const part = event.part;
    if (Number.isNaN(record.times.replied)) {
      const now = this.now();
      record.times.replied = now;
      const budget = this.budget;
      if (budget !== undefined && record.lane === 'command' && record.cost <= budget.probeMaxBytes) budget.observe(now - record.times.submitted, now);
      this.emitRequest('replied', record);
    }
    const done = part.last && part.header.final;
    if (record.state !== RequestState.Abandoned) record.observer.next(part);
    if (done) {
      this.release(record);
      this.live.delete(record.tag);
      record.times.completed = this.now();
      if (record.state === RequestState.Abandoned) {
        record.state = RequestState.Done;
        return;
      }
      record.state = RequestState.Done;
      this.counts.completed++;
      this.emitRequest('completed', record);
      record.observer.complete();
    }
  }

  private release(record: RequestRecord<H>): void {
    if (record.state === RequestState.Done || record.state === RequestState.Queued || record.state === RequestState.Cancelled) return;
    if (this.inFlight === 0) return;
    this.inFlight--;
    this.inFlightBytes -= record.cost;
    if (record.replyBytes >= this.directMin) this.largeInFlight--;
    this.released.next(record);
  }

  private settleError(record: RequestRecord<H>, error: Error): void {
    this.live.delete(record.tag);
    const wanted = record.state !== RequestState.Abandoned && record.state !== RequestState.Cancelled && record.state !== RequestState.Done;
    record.state = RequestState.Done;
    record.times.completed = this.now();
    if (!wanted) return;
    this.counts.failed++;
    this.emitRequest('failed', record);
    record.observer.error(error);
  }

  private emitRequest(phase: RequestEvent['phase'], record: RequestRecord<H>): void {
    if (!this.requestEvents.observed) return;
    this.requestEvents.next({ type: 'request', phase, record, class: this.codec.classOf(record.meta as M) });
  }

  private causeOf(record: RequestRecord<H>): StallCause {
    switch (record.state) {
      case RequestState.Queued:
      case RequestState.Sending:
        return this.gate.sinkReady ? 'send-backlog' : 'socket-backpressure';
      case RequestState.Sent:
        // In the kernel: if the socket will not take more, the peer is not
        // reading, and the request most likely sits unread in the kernel too.
        return this.gate.sinkReady ? 'device' : 'socket-backpressure';
      default:
        return 'unknown';
    }
  }

  private buildEvents(): Observable<EngineEvent> {
    const requests$ = this.requestEvents.pipe(share());
    const stalls$ = requests$.pipe(
      detectStalls({
        thresholdMs: this.options.stallThresholdMs ?? 1000,
        cause: (oldest) => this.causeOf(oldest as RequestRecord<H>),
        scheduler: this.scheduler,
      }),
    );
    return merge(requests$, stalls$, this.connectionEvents).pipe(share());
  }
}
