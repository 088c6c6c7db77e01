/**
 * `sendqueue`: as lockstep, but the caller's call only encodes its unit and
 * appends it to an unbounded FIFO; a dedicated sender drains the FIFO, one
 * write per unit, waiting for each write callback. The receive loop parses
 * replies as they arrive and never waits for a send.
 *
 * Failure it shows: better throughput, but a small read waits behind every
 * unit queued before it (user-space FIFO, then the kernel send buffer), and
 * the queue grows without limit (DESIGN.md causes 1 and 4).
 */
import { ClassicClient } from './classicClient.js';
import type { LabRequest } from './labRequest.js';
import { openNbdSocket } from './openNbdSocket.js';
import type { ClassicClientOptions } from './types.js';
import { Fifo as UnboundedQueue } from '../../core/fifo.js';

export class SendQueueClient extends ClassicClient {
  readonly arch = 'sendqueue' as const;
  private readonly queue = new UnboundedQueue<LabRequest>();
  /** The sender is waiting for a write callback. */
  private sending = false;

  protected submit(req: LabRequest): void {
    this.queue.push(req);
    this.queuedBytes += req.wireBytes;
    if (!this.sending) this.sendNext();
    req.callReturned();
  }

  protected unitSent(_req: LabRequest): void {
    this.sending = false;
    this.sendNext();
  }

  protected onChunk(chunk: Buffer): void {
    this.reader.push(chunk);
  }

  protected clearQueues(): void {
    this.queue.drain();
    this.queuedBytes = 0;
  }

  private sendNext(): void {
    const req = this.queue.shift();
    if (req === undefined) return;
    this.sending = true;
    this.queuedBytes -= req.wireBytes;
    this.sendUnit(req);
  }
}

/** Connects a sendqueue client to `uri` (simple replies). */
export async function connectSendQueue(uri: string, options?: ClassicClientOptions): Promise<SendQueueClient> {
  return new SendQueueClient(await openNbdSocket(uri, options)).start();
}
