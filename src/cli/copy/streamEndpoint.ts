/**
 * Streams as ends of a copy: a readable source (stdin, a pipe, a device) is
 * read in order until it ends; a writable destination (stdout) gets the bytes
 * in offset order whatever order the lanes finish in; `null:` drops them.
 */
import type { Readable, Writable } from 'node:stream';
import { RxbridgeError } from '../../core/errors.js';
import type { CopyDestination, CopySource } from './endpoints.js';

export class StreamSource implements CopySource {
  readonly size = undefined;
  private readonly chunks: AsyncIterator<Buffer>;
  private leftover: Buffer | undefined;
  /** Reads run one after the other, in the order they were asked for. */
  private tail: Promise<unknown> = Promise.resolve();
  private position = 0;
  private ended = false;

  constructor(readonly name: string, private readonly stream: Readable) {
    this.chunks = stream[Symbol.asyncIterator]();
  }

  read(offset: number, length: number, buffer: Buffer): Promise<number> {
    const result = this.tail.then(() => this.fill(offset, length, buffer));
    this.tail = result.catch(() => {});
    return result;
  }

  private async fill(offset: number, length: number, buffer: Buffer): Promise<number> {
    // Lanes may have claimed chunks past the end before it was known.
    if (this.ended) return 0;
    if (offset !== this.position) throw new RxbridgeError('RXB_INTERNAL', `stream read at ${offset}, expected ${this.position}`);
    let got = 0;
    while (got < length) {
      if (this.leftover === undefined || this.leftover.length === 0) {
        const next = await this.chunks.next();
        if (next.done) {
          this.ended = true;
          break;
        }
        this.leftover = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      }
      const take = Math.min(length - got, this.leftover.length);
      this.leftover.copy(buffer, got, 0, take);
      this.leftover = this.leftover.subarray(take);
      got += take;
    }
    this.position += got;
    return got;
  }

  async close(): Promise<void> {
    this.destroy();
  }

  destroy(): void {
    // Never destroy the process's stdin: it is shared with the rest of the process.
    if (this.stream !== process.stdin) this.stream.destroy();
  }
}

interface PendingWrite {
  data: Buffer;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class StreamDestination implements CopyDestination {
  /** Writes that arrived before the ones in front of them. */
  private readonly waiting = new Map<number, PendingWrite>();
  private next = 0;
  private failure: Error | undefined;
  private zeroBuffer: Buffer | undefined;

  /** EPIPE and friends arrive as 'error' events too: without a listener they would be thrown. */
  private readonly onError = (err: Error) => this.fail(err, () => {});

  constructor(readonly name: string, private readonly stream: Writable) {
    stream.on('error', this.onError);
  }

  async prepare(): Promise<void> {}

  write(offset: number, data: Buffer): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(offset, { data, resolve, reject });
      this.drain();
    });
  }

  zero(offset: number, length: number): Promise<void> {
    if (this.zeroBuffer === undefined || this.zeroBuffer.length < length) this.zeroBuffer = Buffer.alloc(length);
    return this.write(offset, this.zeroBuffer.subarray(0, length));
  }

  /**
   * Hands every write that is next in order to the stream; each resolves in
   * the stream's write callback. For stdout (a file, pipe or TTY) that is when
   * the bytes went to the kernel; a stream that keeps references past its
   * callback (a PassThrough) would see the buffer reused.
   */
  private drain(): void {
    for (let w = this.waiting.get(this.next); w !== undefined; w = this.waiting.get(this.next)) {
      this.waiting.delete(this.next);
      this.next += w.data.length;
      const { resolve, reject } = w;
      this.stream.write(w.data, (err) => {
        if (err) this.fail(err, reject);
        else resolve();
      });
    }
  }

  private fail(err: Error, reject: (err: Error) => void): void {
    this.failure ??= err;
    reject(err);
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    if (this.failure) throw this.failure;
    this.stream.off('error', this.onError);
    if (this.waiting.size > 0) throw new RxbridgeError('RXB_INTERNAL', `${this.name}: ${this.waiting.size} writes never became next in order`);
  }

  destroy(): void {
    // After a failure the stream may still emit errors (EPIPE again): keep swallowing them.
    if (!this.failure) this.stream.off('error', this.onError);
  }
}

/** `null:` — accepts and forgets everything (reads at full speed, like nbdcopy's null:). */
export class NullDestination implements CopyDestination {
  readonly name = 'null:';
  async prepare(): Promise<void> {}
  async write(): Promise<void> {}
  async zero(): Promise<void> {}
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  destroy(): void {}
}
