import type { StallCause, StallEvent } from '../src/core/events.js';
import type { RequestRecord } from '../src/core/request.js';
import { PendingInOrder } from './internal/pendingInOrder.js';

/** Where stall events go; a closed sink stops the loops (downstream unsubscribed). */
export interface StallSink {
  next(event: StallEvent): void;
  readonly closed: boolean;
}

/** The class name of the whole-connection stall. */
export const CONNECTION_CLASS = '*';
/** At most this many tags are listed in a stall event. */
const MAX_TAGS = 16;

interface ActiveStall {
  readonly startedAt: number;
  readonly tags: readonly number[];
  readonly cause: StallCause;
}

interface ClassState {
  readonly name: string;
  readonly thresholdMs: number;
  /** Pending requests in submission order: the first one is the oldest. */
  readonly pending: PendingInOrder<RequestRecord<any>>;
  stall: ActiveStall | undefined;
}

/**
 * The bookkeeping behind `detectStalls`: pending requests per class, O(1) per
 * event, and the stalls in progress. Stalls start on `check()` (periodic) and
 * end on the `settled()` event that relieves them, so an end is reported
 * without waiting for the next check.
 */
export class StallTracker {
  private readonly classes = new Map<string, ClassState>();
  private connectionStall: ActiveStall | undefined = undefined;
  private pendingCount = 0;
  /** Last completion or failure, or when work arrived on an idle connection. */
  private lastProgress = 0;

  constructor(
    private readonly thresholdFor: (cls: string) => number,
    private readonly connectionThresholdMs: number,
    private readonly causeOf: (oldest: RequestRecord<any>) => StallCause,
  ) {}

  get pending(): number {
    return this.pendingCount;
  }

  /** Records a submission; true when it is the only pending request (checks must start). */
  submitted(cls: string, record: RequestRecord<any>, now: number): boolean {
    let state = this.classes.get(cls);
    if (state === undefined) {
      state = { name: cls, thresholdMs: this.thresholdFor(cls), pending: new PendingInOrder(), stall: undefined };
      this.classes.set(cls, state);
    }
    if (!state.pending.add(record)) return false;
    if (++this.pendingCount > 1) return false;
    this.lastProgress = now;
    return true;
  }

  /** Records a completion or failure (both are progress) and ends the stalls it relieves. */
  settled(cls: string, record: RequestRecord<any>, now: number, sink: StallSink): void {
    const state = this.classes.get(cls);
    if (state?.pending.delete(record)) this.pendingCount--;
    this.lastProgress = now;
    const connectionStall = this.connectionStall;
    if (connectionStall !== undefined) {
      this.connectionStall = undefined;
      sink.next(stallEvent('end', CONNECTION_CLASS, connectionStall, now, this.pendingCount));
    }
    const classStall = state?.stall;
    if (classStall === undefined || sink.closed) return;
    const oldest = state!.pending.oldest();
    if (oldest === undefined || now - oldest.times.submitted <= state!.thresholdMs) {
      state!.stall = undefined;
      sink.next(stallEvent('end', state!.name, classStall, now, state!.pending.size));
    }
  }

  /** Starts the stalls whose threshold has passed. Throws what the cause function throws. */
  check(now: number, sink: StallSink): void {
    let oldestOverall: RequestRecord<any> | undefined;
    for (const state of this.classes.values()) {
      const oldest = state.pending.oldest();
      if (oldest === undefined) continue;
      if (oldestOverall === undefined || oldest.times.submitted < oldestOverall.times.submitted) oldestOverall = oldest;
      if (state.stall !== undefined || now - oldest.times.submitted <= state.thresholdMs) continue;
      const stall = { startedAt: oldest.times.submitted, tags: tagsOf([state]), cause: this.causeOf(oldest) };
      state.stall = stall;
      sink.next(stallEvent('start', state.name, stall, now, state.pending.size));
      if (sink.closed) return;
    }
    if (this.connectionStall !== undefined || oldestOverall === undefined) return;
    if (now - this.lastProgress <= this.connectionThresholdMs) return;
    const stall = { startedAt: this.lastProgress, tags: tagsOf(this.classes.values()), cause: this.causeOf(oldestOverall) };
    this.connectionStall = stall;
    sink.next(stallEvent('start', CONNECTION_CLASS, stall, now, this.pendingCount));
  }

  clear(): void {
    this.classes.clear();
    this.connectionStall = undefined;
    this.pendingCount = 0;
  }
}

/** Tags of the first pending requests, oldest first within each class. */
function tagsOf(states: Iterable<ClassState>): number[] {
  const tags: number[] = [];
  for (const state of states) {
    for (const record of state.pending.firstOnes(MAX_TAGS - tags.length)) tags.push(record.tag);
    if (tags.length === MAX_TAGS) return tags;
  }
  return tags;
}

function stallEvent(phase: 'start' | 'end', cls: string, stall: ActiveStall, now: number, pending: number): StallEvent {
  const { startedAt, tags, cause } = stall;
  return { type: 'stall', phase, class: cls, startedAt, durationMs: now - startedAt, tags, pending, cause };
}
