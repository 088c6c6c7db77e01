import type { Lane, Unit } from '../../core/codec.js';

/**
 * One request on its way through the device: a record, not a closure chain,
 * so the hot path allocates one object per request.
 */
export class ServerJob {
  /** Reply bytes held against the connection's reply budget from admission until written. */
  reserved = 0;

  constructor(
    /** The raw u64 cookie, echoed in every reply to this request. */
    readonly cookie: bigint,
    /** NBD_CMD_*. */
    readonly type: number,
    readonly flags: number,
    /** Exact when the request is valid (validation refuses offsets past the export). */
    readonly offset: number,
    readonly length: number,
    /** 0, or the errno the request is refused with before it reaches the device. */
    readonly errno: number,
  ) {}
}

/** The encoded reply of one job, as a unit for rebuffer and the socket sink. */
export class ReplyUnit implements Unit {
  constructor(
    readonly lane: Lane,
    readonly buffers: readonly Buffer[],
    readonly bytes: number,
    /** What its job reserved: released once the unit is handed to the kernel. */
    readonly reserved: number,
  ) {}
}
