import { Observable, asyncScheduler, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { FrameHeader, FramePart } from '../src/core/codec.js';
import { ConnectionClosedError, RequestTimeoutError, UnknownTagError, toRxbridgeError } from '../src/core/errors.js';
import { TagTable } from '../src/core/tagTable.js';

/** What `matchReplies` emits: a reply part for a request, or the end of a request that got no reply. */
export type ReplyEvent<H extends FrameHeader, R> =
  | { readonly kind: 'part'; readonly record: R; readonly part: FramePart<H> }
  | { readonly kind: 'failed'; readonly record: R; readonly error: Error };

/**
 * What the pending table must do. A `Map` (the default) fails pending
 * requests in registration order; a `TagTable` (what the engine passes) does
 * not churn the heap under load (see TagTable) and fails them in no order.
 */
export interface PendingTable<R> {
  get(tag: number): R | undefined;
  set(tag: number, record: R): unknown;
  delete(tag: number): boolean;
  values(): Iterable<R>;
  clear(): void;
  readonly size: number;
}

export interface MatchRepliesOptions<R extends { readonly tag: number }> {
  /**
   * The table of requests awaiting replies, keyed by tag. Pass one in when the
   * decoder needs to look requests up (NBD simple replies carry no length);
   * it belongs to one connection. Tags are unsigned 32-bit integers.
   */
  pending?: PendingTable<R>;
  /** Per-request timeout from registration, in ms; 0 or absent: none. */
  timeoutMs?: number;
  scheduler?: SchedulerLike;
}

/**
 * Correlates reply frames to pending requests by tag.
 *
 * Requests are registered through `requests$` before their bytes leave (the
 * engine registers at admission). Parts are routed by `header.tag`, in any
 * order, several frames per reply; the request leaves the table on the last
 * part of its final frame. A tag nobody holds is a protocol error. A request
 * that times out is reported as `failed` but stays in the table until its
 * reply comes, because only the table knows how long that reply is; the late
 * reply is read and dropped. When the reply stream ends or fails, every
 * pending request is reported `failed` with that cause, then the stream
 * completes or errors.
 *
 * ```
 * requests$: -a-b----------|
 * parts:     ----B--A'-A--|        (A' not final)
 * result:    ----b--a'-a--|        (part events; a and b leave the table)
 * ```
 *
 * @example
 * parts$.pipe(matchReplies(admitted$, { timeoutMs: 30_000 }))
 *   .subscribe((e) => e.kind === 'part' ? deliver(e.record, e.part) : fail(e.record, e.error));
 * @param requests$ requests to await, each with a unique tag among those pending
 * @param options the pending table, a timeout and its scheduler
 * @return reply events for the registered requests
 */
export function matchReplies<H extends FrameHeader, R extends { readonly tag: number }>(
  requests$: Observable<R>,
  options: MatchRepliesOptions<R> = {},
): OperatorFunction<FramePart<H>, ReplyEvent<H, R>> {
  return (source) =>
    new Observable<ReplyEvent<H, R>>((subscriber) => {
      const pending = options.pending ?? new Map<number, R>();
      const timeoutMs = options.timeoutMs ?? 0;
      const scheduler = options.scheduler ?? asyncScheduler;
      const timers = new TagTable<Subscription>();
      const timedOut = new Set<number>();
      let ended: Error | undefined;

      const failAll = (error: Error) => {
        const records = [...pending.values()];
        pending.clear();
        for (const t of timers.values()) t.unsubscribe();
        timers.clear();
        for (const record of records) {
          if (!timedOut.has(record.tag)) subscriber.next({ kind: 'failed', record, error });
        }
        timedOut.clear();
      };

      const onTimeout = (record: R) => {
        timers.delete(record.tag);
        timedOut.add(record.tag);
        subscriber.next({ kind: 'failed', record, error: new RequestTimeoutError(timeoutMs) });
      };

      const registration = requests$.subscribe({
        next: (record) => {
          if (ended) {
            subscriber.next({ kind: 'failed', record, error: ended });
            return;
          }
          pending.set(record.tag, record);
          if (timeoutMs > 0) {
            timers.set(record.tag, scheduler.schedule(() => onTimeout(record), timeoutMs));
          }
        },
        error: (err) => subscriber.error(err),
      });

      const replies = source.subscribe({
        next: (part) => {
          const tag = part.header.tag;
          const record = pending.get(tag);
          if (record === undefined) {
            ended = new UnknownTagError(tag);
            failAll(ended);
            subscriber.error(ended);
            return;
          }
          const done = part.last && part.header.final;
          if (done) {
            pending.delete(tag);
            // Without a timeout (the usual hot path) there is no timer to look up.
            if (timers.size > 0) {
              const timer = timers.get(tag);
              if (timer !== undefined) {
                timer.unsubscribe();
                timers.delete(tag);
              }
            }
            if (timedOut.size > 0 && timedOut.delete(tag)) return;
          } else if (timedOut.size > 0 && timedOut.has(tag)) {
            return;
          }
          subscriber.next({ kind: 'part', record, part });
        },
        error: (err) => {
          ended = toRxbridgeError(err);
          failAll(ended);
          subscriber.error(ended);
        },
        complete: () => {
          ended = new ConnectionClosedError();
          failAll(ended);
          subscriber.complete();
        },
      });

      return () => {
        registration.unsubscribe();
        replies.unsubscribe();
        for (const t of timers.values()) t.unsubscribe();
        timers.clear();
        timedOut.clear();
      };
    });
}
