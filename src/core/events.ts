/**
 * What the engine reports about itself on `events$`: request lifecycle
 * events, stalls (see `detectStalls`) and connection state changes.
 */
import type { RequestRecord } from './request.js';

/** Why a stall happened, judged from the oldest waiting request. */
export type StallCause =
  /** Queued behind our own backlog: not yet dispatched to the kernel. */
  | 'send-backlog'
  /** Dispatched, no reply yet: the device is slow. */
  | 'device'
  /** The socket does not drain: the peer is not reading. */
  | 'socket-backpressure'
  /** Replies arrived but the caller does not take them. */
  | 'slow-consumer'
  | 'unknown';

/** A request moved to its next stage; `record.times` holds the stage times. */
export interface RequestEvent {
  readonly type: 'request';
  /** 'cancelled': the caller unsubscribed; the request no longer counts as waiting. */
  readonly phase: 'submitted' | 'dispatched' | 'replied' | 'completed' | 'failed' | 'cancelled';
  readonly record: RequestRecord<any>;
  /** Request class, e.g. 'read', 'write', 'flush': stalls are judged per class. */
  readonly class: string;
}

/** A stall began or ended: no progress for longer than a threshold while work was pending. */
export interface StallEvent {
  readonly type: 'stall';
  readonly phase: 'start' | 'end';
  /** Request class, e.g. 'read'; '*' for the whole connection. */
  readonly class: string;
  /** When the stall began (same clock as `RequestRecord.times`). */
  readonly startedAt: number;
  /** On 'start', the wait so far; on 'end', the whole stall. */
  readonly durationMs: number;
  /** Tags of the requests pending when the stall started, oldest first (at most 16); repeated on 'end'. */
  readonly tags: readonly number[];
  /** Requests pending in the class (all classes for '*') when the event was emitted. */
  readonly pending: number;
  readonly cause: StallCause;
}

export interface ConnectionEvent {
  readonly type: 'connection';
  readonly state: 'connecting' | 'connected' | 'closing' | 'closed' | 'reconnecting';
  readonly error?: unknown;
}

export type EngineEvent = RequestEvent | StallEvent | ConnectionEvent;
