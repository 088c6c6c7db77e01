/**
 * What the three classic clients share, so that they differ only in their
 * architecture: the pending map, one write per unit (header and payload in
 * one writev, completion by the write callback), the simple-reply parser,
 * stage times, failure and polite close. Subclasses decide who sends when,
 * and who parses received bytes when.
 */
import { allocReplyBuffer } from '../../core/slab.js';
import type { Socket } from 'node:net';
import { BehaviorSubject, firstValueFrom, timeout, type Subscription } from 'rxjs';
import { endSocket } from '../../../streams/endSocket.js';
import { socketSource } from '../../../streams/socketSource.js';
import { ConnectionClosedError, InvalidArgumentError, toRxbridgeError } from '../../core/errors.js';
import type { NbdExportInfo } from '../../nbd/client/types.js';
import { NbdError } from '../../nbd/errors.js';
import { Command } from '../../nbd/protocol.js';
import { encodeRequest } from '../../nbd/requestEncoder.js';
import { LabRequest } from './labRequest.js';
import type { NbdSocket } from './openNbdSocket.js';
import { SimpleReplyReader, type ReplyHandler } from './simpleReplyReader.js';
import type { ClassicArch, LabClient, LabClientStats, ReadDone, StageRecord, WriteDone } from './types.js';
import { Fifo as UnboundedQueue } from '../../core/fifo.js';

const CLOSE_TIMEOUT_MS = 5000;
const now = (): number => performance.now();

export abstract class ClassicClient implements LabClient, ReplyHandler {
  abstract readonly arch: ClassicArch;
  readonly info: NbdExportInfo;
  protected readonly socket: Socket;
  protected readonly reader = new SimpleReplyReader(this);
  /** Bytes of units waiting in our queues; subclasses keep it. */
  protected queuedBytes = 0;
  protected receiveQueuedBytes = 0;
  /** Back-pressure to the socket source: true stops reading (lockstep's blocked receive loop). */
  protected readonly receivePaused = new BehaviorSubject(false);
  /** True while a completion callback runs on the receive path. */
  protected onReceivePath = false;
  private readonly pending = new Map<number, LabRequest>();
  /** Units given to socket.write whose write callback has not fired, in order. */
  private readonly inSocket = new UnboundedQueue<LabRequest>();
  private nextTag = 1;
  private writes = 0;
  private bytesWritten = 0;
  private finished: LabRequest[] = [];
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;
  private idle: (() => void) | undefined;
  private receive: Subscription | undefined;

  constructor(private readonly conn: NbdSocket) {
    this.socket = conn.socket;
    this.info = conn.info;
  }

  /** Starts the receive loop; called once the subclass is constructed. */
  start(): this {
    this.receive = socketSource(this.socket, { paused$: this.receivePaused }).subscribe({
      next: (chunk) => {
        try {
          this.onChunk(chunk);
        } catch (err) {
          this.fail(toRxbridgeError(err));
        }
      },
      error: (err) => this.fail(toRxbridgeError(err)),
      complete: () => this.fail(new ConnectionClosedError('the server closed the connection')),
    });
    return this;
  }

  read(offset: number, length: number, done: ReadDone, returned?: () => void): void {
    const tag = this.nextTag++;
    const header = encodeRequest(Command.Read, 0, tag, offset, length);
    this.begin(new LabRequest(tag, Command.Read, length, header, undefined, allocReplyBuffer(length), done, returned, now()));
  }

  write(offset: number, data: Buffer, done: WriteDone, returned?: () => void): void {
    const tag = this.nextTag++;
    const header = encodeRequest(Command.Write, 0, tag, offset, data.length);
    this.begin(new LabRequest(tag, Command.Write, data.length, header, data, undefined, done, returned, now()));
  }

  stats(): LabClientStats {
    return {
      queuedBytes: this.queuedBytes,
      socketBufferedBytes: this.socket.writableLength,
      receiveQueuedBytes: this.receiveQueuedBytes,
      writes: this.writes,
      bytesWritten: this.bytesWritten,
      pending: this.pending.size,
    };
  }

  stages(): StageRecord[] {
    const out = this.finished;
    this.finished = [];
    return out;
  }

  close(): Promise<void> {
    this.closing ??= this.disconnect();
    return this.closing;
  }

  // ReplyHandler, called by the reader.

  lookup(tag: number): LabRequest | undefined {
    return this.pending.get(tag);
  }

  replied(req: LabRequest, errno: number): void {
    req.times.replied = now();
    if (errno !== 0) req.error = new NbdError(errno);
  }

  completed(req: LabRequest): boolean {
    this.pending.delete(req.tag);
    this.finish(req);
    if (this.pending.size === 0) this.idle?.();
    return this.failure === undefined && !this.receiverBlocked();
  }

  /** Puts a request into the architecture's path. The request is already pending. */
  protected abstract submit(req: LabRequest): void;
  /** Handles one received chunk (valid only during this call: copy what you keep). */
  protected abstract onChunk(chunk: Buffer): void;
  /** The write callback of `req`'s unit fired: its bytes are with the kernel. */
  protected abstract unitSent(req: LabRequest): void;
  /** Drops everything queued (after a failure). */
  protected abstract clearQueues(): void;

  /** Lockstep: true while the receive loop waits for a send made from a completion callback. */
  protected receiverBlocked(): boolean {
    return false;
  }

  /** One write per unit: the header and the payload (by reference) in one writev. */
  protected sendUnit(req: LabRequest): void {
    this.writes++;
    this.bytesWritten += req.wireBytes;
    this.inSocket.push(req);
    if (req.payload === undefined) {
      this.socket.write(req.header, this.onUnitWritten);
      return;
    }
    this.socket.cork();
    this.socket.write(req.header);
    this.socket.write(req.payload, this.onUnitWritten);
    this.socket.uncork();
  }

  private readonly onUnitWritten = (err?: Error | null): void => {
    const req = this.inSocket.shift();
    if (this.failure !== undefined || req === undefined) return;
    if (err) {
      this.fail(toRxbridgeError(err));
      return;
    }
    req.times.dispatched = now();
    this.unitSent(req);
  };

  private begin(req: LabRequest): void {
    const refused = this.failure ?? (this.closing !== undefined ? new InvalidArgumentError('the client is closing') : undefined);
    if (refused !== undefined) {
      // Callers expect callbacks after the call, never inside it.
      queueMicrotask(() => {
        req.error = refused;
        req.callReturned();
        this.finish(req);
      });
      return;
    }
    this.pending.set(req.tag, req);
    this.submit(req);
  }

  /** Records the completion and calls back; a throwing callback fails the client (it cannot be reported anywhere better). */
  private finish(req: LabRequest): void {
    req.times.completed = now();
    this.finished.push(req);
    const wasOnReceivePath = this.onReceivePath;
    this.onReceivePath = true;
    try {
      req.done!(req.error, req.error === null ? req.dest : undefined);
    } catch (err) {
      this.fail(toRxbridgeError(err));
    } finally {
      this.onReceivePath = wasOnReceivePath;
    }
  }

  /** Fails every pending request with `err`, once; the socket is destroyed. */
  protected fail(err: Error): void {
    if (this.failure !== undefined) return;
    if (this.closing !== undefined && this.pending.size === 0) return; // the close we asked for
    this.failure = err;
    this.receive?.unsubscribe();
    this.clearQueues();
    const failed = [...this.pending.values()];
    this.pending.clear();
    for (const req of failed) {
      req.error = err;
      req.callReturned();
      this.finish(req);
    }
    this.conn.release();
    this.idle?.();
  }

  private async disconnect(): Promise<void> {
    if (this.failure === undefined && this.pending.size > 0) {
      await new Promise<void>((resolve) => (this.idle = resolve));
    }
    if (this.failure === undefined) {
      this.socket.write(encodeRequest(Command.Disc, 0, this.nextTag++, 0, 0));
      try {
        await firstValueFrom(endSocket(this.socket).pipe(timeout(CLOSE_TIMEOUT_MS)));
      } catch {
        // A server that does not close within the timeout is cut off below.
      }
    }
    this.receive?.unsubscribe();
    this.conn.release();
  }
}
