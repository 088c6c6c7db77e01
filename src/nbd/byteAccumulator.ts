/**
 * A bounded, growable byte buffer with a read cursor, for the handshake
 * readers. Handshake data is small, so chunks are copied in (the socket may
 * reuse its receive buffer) and whole messages are copied out.
 */
import { NbdHandshakeError } from './errors.js';

export class ByteAccumulator {
  private buf: Buffer;
  private start = 0;
  private end = 0;
  /** Bytes still to drop as they arrive (see {@link discard}). */
  private discarding = 0;

  /** @param maxBufferedBytes Unread bytes above this are refused (NbdHandshakeError `NBD_OPTION_TOO_BIG`). */
  constructor(private readonly maxBufferedBytes: number, initialCapacity = 256) {
    this.buf = Buffer.allocUnsafe(Math.min(initialCapacity, maxBufferedBytes));
  }

  /** Unread bytes. */
  get length(): number {
    return this.end - this.start;
  }

  /** Appends a copy of `chunk`. */
  push(chunk: Buffer): void {
    let from = 0;
    if (this.discarding > 0) {
      from = Math.min(this.discarding, chunk.length);
      this.discarding -= from;
    }
    const adding = chunk.length - from;
    if (adding === 0) return;
    const needed = this.length + adding;
    if (needed > this.maxBufferedBytes) {
      throw new NbdHandshakeError(
        `more than ${this.maxBufferedBytes} bytes of unread handshake data`,
        'NBD_OPTION_TOO_BIG',
      );
    }
    if (this.end + adding > this.buf.length) this.makeRoom(needed);
    chunk.copy(this.buf, this.end, from);
    this.end += adding;
  }

  /** Big-endian u16 at `at` bytes past the cursor (the caller checked `length`). */
  u16(at: number): number {
    return this.buf.readUInt16BE(this.start + at);
  }

  u32(at: number): number {
    return this.buf.readUInt32BE(this.start + at);
  }

  u64(at: number): bigint {
    return this.buf.readBigUInt64BE(this.start + at);
  }

  /** Moves the cursor past `n` unread bytes. */
  consume(n: number): void {
    this.start += n;
    if (this.start === this.end) this.start = this.end = 0;
  }

  /** Copies the `n` bytes at `at` past the cursor into a fresh Buffer (without consuming). */
  copy(at: number, n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    this.buf.copy(out, 0, this.start + at, this.start + at + n);
    return out;
  }

  /** Takes every unread byte (a copy) and empties the buffer. */
  takeAll(): Buffer {
    const out = this.copy(0, this.length);
    this.start = this.end = 0;
    return out;
  }

  /** Drops the next `n` bytes: those buffered now and, for the rest, those still to arrive. */
  discard(n: number): void {
    const now = Math.min(n, this.length);
    this.consume(now);
    this.discarding += n - now;
  }

  private makeRoom(needed: number): void {
    if (needed <= this.buf.length) {
      this.buf.copyWithin(0, this.start, this.end);
    } else {
      const next = Buffer.allocUnsafe(Math.min(Math.max(needed, this.buf.length * 2), this.maxBufferedBytes));
      this.buf.copy(next, 0, this.start, this.end);
      this.buf = next;
    }
    this.end -= this.start;
    this.start = 0;
  }
}
