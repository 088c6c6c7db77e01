/**
 * Says why a stall happened, from the stage times of the request that waited
 * through it and what the samplers saw meanwhile: where did that request
 * spend the stall?
 *
 * - still in our queue (submitted, not dispatched) → `send-backlog`;
 * - dispatched, reply not parsed: if received bytes sat unprocessed in our
 *   own queue (a worker busy sending) → `send-backlog`; if the send path was
 *   backed up (Node's socket buffer in use, or the kernel Send-Q plus the
 *   device's Recv-Q above a threshold) → `socket-backpressure`; else `device`;
 * - reply parsed, not completed → `slow-consumer` (or `send-backlog` when
 *   the receive loop was waiting on a send).
 */
import type { StallCause } from '../core/events.js';
import type { StageRecord } from './arch/types.js';

/** What the samplers saw at one time (performance.now() ms). */
export interface CauseSample {
  t: number;
  /** Received bytes waiting in our user space. */
  receiveQueued: number;
  /** Bytes in Node's socket write buffer (the kernel would not take them). */
  socketBuffered: number;
  /** Client Send-Q plus the device's Recv-Q, from ss; null when unknown. */
  kernelQueued: number | null;
}

/** Kernel bytes queued toward the device above which a wait counts as back-pressure. */
export const BACKPRESSURE_BYTES = 256 * 1024;
/** Slack when matching a completion time seen by a driver with a record's time. */
const MATCH_MS = 5;

/**
 * @param start Stall start (performance.now() ms).
 * @param end Stall end.
 * @param candidates Slow records of the stalled class (any order).
 * @param samples Sampler readings, in time order.
 * @return The cause, or 'unknown' when no request explains the stall.
 */
export function attributeStall(start: number, end: number, candidates: readonly StageRecord[], samples: readonly CauseSample[]): StallCause {
  const record = waiter(start, end, candidates);
  if (record === undefined) return 'unknown';
  const t = record.times;
  const dispatched = Number.isNaN(t.dispatched) ? end : t.dispatched;
  const replied = Number.isNaN(t.replied) ? end : t.replied;
  const completed = Number.isNaN(t.completed) ? end : t.completed;
  const queued = overlap(t.submitted, dispatched, start, end);
  const waiting = overlap(dispatched, replied, start, end);
  const receiving = overlap(replied, completed, start, end);
  if (queued >= waiting && queued >= receiving) return 'send-backlog';
  if (waiting >= receiving) {
    const seen = within(samples, Math.max(start, dispatched), Math.min(end, replied));
    // The reply had arrived but sat in our own queue behind the sends (fifo), or the receive loop waited on a send (lockstep).
    if (seen.some((s) => s.receiveQueued > 0)) return 'send-backlog';
    const backedUp = seen.filter((s) => s.socketBuffered > 0 || (s.kernelQueued !== null && s.kernelQueued >= BACKPRESSURE_BYTES)).length;
    return seen.length > 0 && backedUp * 2 >= seen.length ? 'socket-backpressure' : 'device';
  }
  const seen = within(samples, Math.max(start, replied), Math.min(end, completed));
  return seen.some((s) => s.receiveQueued > 0) ? 'send-backlog' : 'slow-consumer';
}

/** The request that waited through the stall: the one completing at its end, submitted before it began. */
function waiter(start: number, end: number, candidates: readonly StageRecord[]): StageRecord | undefined {
  let exact: StageRecord | undefined;
  let widest: StageRecord | undefined;
  let widestOverlap = 0;
  for (const r of candidates) {
    const completed = Number.isNaN(r.times.completed) ? end : r.times.completed;
    if (Math.abs(completed - end) <= MATCH_MS && r.times.submitted <= start + MATCH_MS) {
      if (exact === undefined || r.times.submitted < exact.times.submitted) exact = r;
    }
    const o = overlap(r.times.submitted, completed, start, end);
    if (o > widestOverlap) {
      widest = r;
      widestOverlap = o;
    }
  }
  return exact ?? widest;
}

function overlap(a0: number, a1: number, b0: number, b1: number): number {
  return Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
}

/** Samples taken during [from, to]; the one nearest `to` when none fell inside. */
function within(samples: readonly CauseSample[], from: number, to: number): CauseSample[] {
  const inside = samples.filter((s) => s.t >= from && s.t <= to);
  if (inside.length > 0 || samples.length === 0) return inside;
  let nearest = samples[0]!;
  for (const s of samples) if (Math.abs(s.t - to) < Math.abs(nearest.t - to)) nearest = s;
  return [nearest];
}
