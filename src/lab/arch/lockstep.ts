/**
 * `lockstep`: the caller's call encodes and sends its unit under a send gate
 * (a fair mutex) and does not return until the write callback fired. The
 * receive loop parses replies and runs completions; a completion that issues
 * a follow-up request sends it through the same gate, and the receive loop
 * waits until that send returns — no reply is parsed meanwhile.
 *
 * Failure it shows: one unit, one syscall, the caller blocked on the socket;
 * receive processing that waits for a send (DESIGN.md cause 2).
 */
import { ClassicClient } from './classicClient.js';
import type { LabRequest } from './labRequest.js';
import { openNbdSocket } from './openNbdSocket.js';
import type { ClassicClientOptions } from './types.js';
import { Fifo as UnboundedQueue } from '../../core/fifo.js';

export class LockstepClient extends ClassicClient {
  readonly arch = 'lockstep' as const;
  /** Calls blocked on the gate, in arrival order (each a blocked thread: one per caller at most). */
  private readonly waiters = new UnboundedQueue<LabRequest>();
  private gateHeld = false;
  /** Sends made from completions, not returned yet: the receive loop waits for them. */
  private receiverWaitsFor = 0;
  /** Received bytes the blocked receive loop has not parsed yet (copies, oldest first). */
  private unparsed: Buffer[] = [];

  protected submit(req: LabRequest): void {
    if (this.onReceivePath) {
      req.blocksReceiver = true;
      this.receiverWaitsFor++;
    }
    this.queuedBytes += req.wireBytes;
    if (this.gateHeld) {
      this.waiters.push(req);
      return;
    }
    this.gateHeld = true;
    this.send(req);
  }

  protected unitSent(req: LabRequest): void {
    // The sending thread releases the gate, then its call returns.
    const next = this.waiters.shift();
    if (next !== undefined) this.send(next);
    else this.gateHeld = false;
    req.callReturned();
    if (req.blocksReceiver && --this.receiverWaitsFor === 0) this.resumeReceiving();
  }

  protected onChunk(chunk: Buffer): void {
    if (this.receiverWaitsFor > 0 || this.unparsed.length > 0) {
      // A read that slipped in as the loop stopped: keep it behind the rest.
      this.unparsed.push(Buffer.from(chunk));
      this.receiveQueuedBytes += chunk.length;
      return;
    }
    const used = this.reader.push(chunk);
    if (used < chunk.length) this.stopReceiving(Buffer.from(chunk.subarray(used)));
    else if (this.receiverWaitsFor > 0) this.receivePaused.next(true);
  }

  protected override receiverBlocked(): boolean {
    return this.receiverWaitsFor > 0;
  }

  protected clearQueues(): void {
    this.waiters.drain();
    this.queuedBytes = 0;
    this.unparsed = [];
    this.receiveQueuedBytes = 0;
  }

  private send(req: LabRequest): void {
    this.queuedBytes -= req.wireBytes;
    this.sendUnit(req);
  }

  private stopReceiving(rest: Buffer): void {
    this.unparsed.unshift(rest);
    this.receiveQueuedBytes += rest.length;
    this.receivePaused.next(true);
  }

  private resumeReceiving(): void {
    while (this.unparsed.length > 0) {
      const rest = this.unparsed.shift()!;
      this.receiveQueuedBytes -= rest.length;
      const used = this.reader.push(rest);
      if (used < rest.length) {
        this.stopReceiving(rest.subarray(used));
        return;
      }
    }
    if (this.receiverWaitsFor === 0) this.receivePaused.next(false);
  }
}

/** Connects a lockstep client to `uri` (simple replies). */
export async function connectLockstep(uri: string, options?: ClassicClientOptions): Promise<LockstepClient> {
  return new LockstepClient(await openNbdSocket(uri, options)).start();
}
