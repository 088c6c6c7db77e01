import type { SchedulerLike } from 'rxjs';
import type { FrameDecoder, FrameHeader, Lane } from './codec.js';
import type { RequestRecord } from './request.js';

/**
 * How a protocol plugs into the engine: it decodes replies, encodes each
 * request description `M` into wire buffers, and says which lane and how many
 * reply bytes it will take.
 */
export interface EngineCodec<H extends FrameHeader, M> {
  /** A decoder for this connection's replies; `lookup` finds a pending request by tag. */
  createDecoder(lookup: (tag: number) => RequestRecord<H> | undefined): FrameDecoder<H>;
  /** Header first, payloads by reference. */
  encode(meta: M, tag: number): readonly Buffer[];
  lane(meta: M): Lane;
  /** Reply payload bytes the request brings back (counted in the byte window). */
  replyBytes(meta: M): number;
  /** The request's class for stage times and stalls (e.g. 'read', 'write'). */
  classOf(meta: M): string;
  /**
   * Where `length` payload bytes of this request's reply, from `payloadOffset`
   * of the frame with `header`, belong — when the request has a destination
   * and they can land there directly (the socket then reads into it, and
   * the parts emitted view it). Undefined: read into the receive buffer.
   */
  receiveInto?(meta: M, header: H, payloadOffset: number, length: number): Buffer | undefined;
  /**
   * Bytes that precede a large reply's data (header, and e.g. an offset
   * field): while only large replies are awaited, the socket reads this much
   * first, so the data after it can go straight to its destination.
   */
  readonly leadBytes?: number;
}

export interface EngineOptions {
  /** Requests in flight at most (sent, reply not complete). Default 64. */
  maxRequests?: number;
  /** Bytes in flight at most, both directions. Default 8 MiB. */
  maxBytes?: number;
  /**
   * Queueing delay the command lane may see before the byte window shrinks
   * (see LatencyBudget); 0 keeps the window fixed at `maxBytes`. Default 5 ms.
   */
  latencyTargetMs?: number;
  /** The adaptive byte window never shrinks below this. Default 256 KiB. */
  minBytes?: number;
  /** Requests waiting in our queues at most; over it a request fails with RXB_QUEUE_FULL. Default 65536. */
  maxQueued?: number;
  /**
   * Per-request timeout from admission, ms; 0: none. Default 0. The request
   * that times out fails with RXB_TIMEOUT and the connection is taken for
   * dead: every other request fails with RXB_CONNECTION_CLOSED (cause: the
   * timeout), and so does every later one, at once.
   */
  timeoutMs?: number;
  /** The sink stops taking batches while the socket holds more than this. Default 64 KiB. */
  lowWaterMark?: number;
  /**
   * Bytes the scheduler lets past it that the kernel has not taken yet; while
   * more are on their way, new requests wait where they can still be
   * reordered. Default 256 KiB (the narrow limit, see freeFlowBytes).
   */
  sendAheadBytes?: number;
  /** Flush a write batch at this size (the narrow limit, see freeFlowBytes). Default 64 KiB. */
  batchTargetBytes?: number;
  /**
   * During pure bulk transfer (no command-lane request admitted, and 4 times
   * this many bytes in a row taken whole by the kernel) the send-ahead and the
   * batch target both widen to this, so a turn's requests go out in one writev
   * of up to this size. The next command, or a write the kernel does not take
   * whole, returns them to sendAheadBytes and batchTargetBytes (see
   * SendAheadPolicy). Default maxBatchBytes; 0 keeps the narrow limits.
   */
  freeFlowBytes?: number;
  /** A write batch never exceeds this. Default 1 MiB. */
  maxBatchBytes?: number;
  /** Units below this size are copied together into one buffer. Default 4 KiB. */
  copyBelow?: number;
  /**
   * A sliced payload with at least this much still to come is read straight
   * into its destination when the protocol knows one (EngineCodec.receiveInto). Default 64 KiB; 0: never.
   */
  directReceiveBytes?: number;
  /**
   * The most one read straight into a destination asks for, for payloads of
   * up to 1 MiB (larger ones are read whole; see ReceivePlanner). Default
   * 16 KiB; 0: all that is left of the payload.
   */
  directPieceBytes?: number;
  /** Reply payloads above this are handed on as slices, part by part. Default 16 KiB. */
  sliceAbove?: number;
  /** The data lane's guaranteed share of bytes while commands wait. Default 0.25. */
  dataShare?: number;
  /** Stall threshold in ms, one for all classes or per class with a 'default' key. Default 1000. */
  stallThresholdMs?: number | Readonly<Record<string, number>>;
  /** Clock and timers of stage times, timeouts and stall detection. Default: performance.now() with asyncScheduler timers. */
  scheduler?: SchedulerLike;
}
