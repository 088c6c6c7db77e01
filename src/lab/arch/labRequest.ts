/**
 * One classic-architecture request: what to send, where its reply goes, the
 * caller's callbacks and its stage times. A record, so the hot path
 * allocates one object (plus the header and the read destination) per request.
 */
import type { StageTimes } from '../../core/request.js';
import { Command } from '../../nbd/protocol.js';
import type { NbdPendingInfo } from '../../nbd/replyDecoder.js';
import type { LabOp, ReadDone, StageRecord } from './types.js';

export class LabRequest implements NbdPendingInfo, StageRecord {
  readonly times: StageTimes;
  /** Read payload bytes received so far. */
  received = 0;
  /** Set from an error reply, before completion. */
  error: Error | null = null;
  /** Lockstep: this call was made on the receive loop, which waits until the call returns. */
  blocksReceiver = false;
  private hasReturned = false;

  constructor(
    readonly tag: number,
    readonly command: Command,
    readonly length: number,
    /** The 28-byte request header. */
    readonly header: Buffer,
    /** WRITE payload, by reference. */
    readonly payload: Buffer | undefined,
    /** READ destination, filled as the reply arrives. */
    readonly dest: Buffer | undefined,
    readonly done: ReadDone | undefined,
    readonly returned: (() => void) | undefined,
    now: number,
  ) {
    this.times = { submitted: now, dispatched: NaN, replied: NaN, completed: NaN };
  }

  /** Tells the caller its call returned; once only (a failure may end a call that never got to send). */
  callReturned(): void {
    if (this.hasReturned) return;
    this.hasReturned = true;
    this.returned?.();
  }

  get op(): LabOp {
    return this.command === Command.Read ? 'read' : 'write';
  }

  get failed(): boolean {
    return this.error !== null;
  }

  /** Bytes this request puts on the wire. */
  get wireBytes(): number {
    return this.header.length + (this.payload === undefined ? 0 : this.payload.length);
  }
}
