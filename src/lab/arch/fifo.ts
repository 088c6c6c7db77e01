/**
 * `fifo`: every caller request and every received buffer goes into one
 * unbounded FIFO; one worker takes the items in turn. A request is sent
 * synchronously (the worker waits for the write callback before it takes the
 * next item); a received buffer is parsed and its completions run.
 *
 * Failure it shows: head-of-line blocking. A small read waits behind
 * megabytes of queued writes, and a reply that has arrived waits, unparsed,
 * behind every write queued before it: a worker blocked in send stops
 * processing replies (DESIGN.md causes 1, 2 and 4).
 */
import { ClassicClient } from './classicClient.js';
import { LabRequest } from './labRequest.js';
import { openNbdSocket } from './openNbdSocket.js';
import type { ClassicClientOptions } from './types.js';
import { Fifo as UnboundedQueue } from '../../core/fifo.js';

export class FifoClient extends ClassicClient {
  readonly arch = 'fifo' as const;
  /** Requests to send and received buffers (copies), in arrival order. */
  private readonly work = new UnboundedQueue<LabRequest | Buffer>();
  /** The worker is blocked in a send. */
  private sending = false;
  /** The worker loop is on the stack (completions add work re-entrantly). */
  private working = false;

  protected submit(req: LabRequest): void {
    this.work.push(req);
    this.queuedBytes += req.wireBytes;
    this.runWorker();
    req.callReturned();
  }

  protected unitSent(_req: LabRequest): void {
    this.sending = false;
    this.runWorker();
  }

  protected onChunk(chunk: Buffer): void {
    // The chunk may view a reused receive buffer: the queue keeps a copy.
    this.work.push(Buffer.from(chunk));
    this.receiveQueuedBytes += chunk.length;
    this.runWorker();
  }

  protected clearQueues(): void {
    this.work.drain();
    this.queuedBytes = 0;
    this.receiveQueuedBytes = 0;
  }

  private runWorker(): void {
    if (this.working) return;
    this.working = true;
    try {
      while (!this.sending) {
        const item = this.work.shift();
        if (item === undefined) break;
        if (item instanceof LabRequest) {
          this.queuedBytes -= item.wireBytes;
          this.sending = true;
          this.sendUnit(item);
        } else {
          this.receiveQueuedBytes -= item.length;
          this.reader.push(item);
        }
      }
    } finally {
      this.working = false;
    }
  }
}

/** Connects a fifo client to `uri` (simple replies). */
export async function connectFifo(uri: string, options?: ClassicClientOptions): Promise<FifoClient> {
  return new FifoClient(await openNbdSocket(uri, options)).start();
}
