/**
 * The common face of every client the lab drives: the three classic
 * architectures (lockstep, sendqueue, fifo) and the reactive engine's adapter.
 * Callback-based on purpose: the classic shapes are callback code, and the
 * workloads must not add an Observable per request to the measurement.
 */
import type { StageTimes } from '../../core/request.js';

export type LabOp = 'read' | 'write';

/** The times one request reached each stage (performance.now() ms; NaN if never reached). */
export interface StageRecord {
  readonly op: LabOp;
  /** Payload bytes read or written. */
  readonly length: number;
  /** Q submitted, D dispatched (write callback: bytes handed to the kernel), R first reply byte, C completed. */
  readonly times: StageTimes;
  /** True when the request failed. */
  readonly failed: boolean;
}

export interface LabClientStats {
  /** Bytes waiting in the client's own user-space queues (not yet given to socket.write). */
  queuedBytes: number;
  /** Bytes given to socket.write that Node has not handed to the kernel yet (`socket.writableLength`). */
  socketBufferedBytes: number;
  /** Received bytes waiting in user space to be processed (the fifo worker's queue); 0 elsewhere. */
  receiveQueuedBytes: number;
  /** Write syscalls so far (one per unit for the classic architectures, one per batch for reactive). */
  writes: number;
  /** Bytes handed to socket.write so far (headers and payloads). */
  bytesWritten: number;
  /** Requests submitted and not completed. */
  pending: number;
}

export type ReadDone = (err: Error | null, data?: Buffer) => void;
export type WriteDone = (err: Error | null) => void;

export interface LabClient {
  readonly arch: string;
  /**
   * Reads `length` bytes at `offset`. `done` gets the data (a fresh Buffer
   * the caller owns) or the error. `returned` marks the moment the caller's
   * call would return: after the send for lockstep (the caller's thread is
   * blocked until then), at once for the queueing architectures (then
   * possibly synchronously, inside this call). A caller that models a thread
   * issues its next call only after `returned`.
   */
  read(offset: number, length: number, done: ReadDone, returned?: () => void): void;
  /** Writes `data` (by reference: do not change it until `done`) at `offset`; `returned` as for read. */
  write(offset: number, data: Buffer, done: WriteDone, returned?: () => void): void;
  stats(): LabClientStats;
  /** Stage records of the requests completed since the last call (drained). */
  stages(): StageRecord[];
  /** Waits for the requests in flight, disconnects politely (NBD_CMD_DISC), closes the socket. */
  close(): Promise<void>;
}

export type ClassicArch = 'lockstep' | 'sendqueue' | 'fifo';

export interface ClassicClientOptions {
  /** TCP_NODELAY on the client socket; default true (as the reactive engine). The sweep turns it off to show Nagle. */
  noDelay?: boolean;
  connectTimeoutMs?: number;
  /** Export name; overrides the URI's. */
  exportName?: string;
}
