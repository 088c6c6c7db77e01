import { Observable, defer, finalize, forkJoin, map, merge, shareReplay, switchMap, type Subscriber } from 'rxjs';
import type { EngineEvent } from '../../core/events.js';
import type { EngineStats } from '../../core/engine.js';
import { InvalidArgumentError, UnsupportedError } from '../../core/errors.js';
import { Command, CommandFlag, DEFAULT_MAX_REQUEST_BYTES } from '../protocol.js';
import { NbdRequest } from './nbdRequest.js';
import type { ClientConnection, ConnectionStats } from './clientConnection.js';
import { PiecedOperation } from './pieces.js';
import { ReadPiece, StatusPiece } from './replyObservers.js';
import { checkRange } from './rangeCheck.js';
import { allocReplyBuffer } from '../../core/slab.js';
import { blockStatus } from './blockStatus.js';
import type { Extent, NbdExportInfo, ReadOptions, WriteOptions, ZeroOptions } from './types.js';

/**
 * An NBD client in transmission phase, over one or more connections. Every
 * method returns a cold Observable: nothing is sent until subscription;
 * unsubscribing before dispatch drops the request, after dispatch discards
 * its reply. Large reads and writes are split at `requestBytes`.
 */
export class NbdClient {
  /** Stage times per request, stalls with their cause, connection state, from every connection. */
  readonly events$: Observable<EngineEvent>;
  /** The largest READ or WRITE this client sends in one request. */
  readonly requestBytes: number;
  private closing: Observable<void> | undefined;

  constructor(
    readonly info: NbdExportInfo,
    private readonly connections: readonly ClientConnection[],
    maxRequestBytes: number,
    private readonly onClosed: () => void = () => {},
  ) {
    const bs = info.blockSize;
    const cap = Math.min(maxRequestBytes, bs.advertised ? bs.maximum : DEFAULT_MAX_REQUEST_BYTES);
    this.requestBytes = Math.max(bs.minimum, cap - (cap % bs.minimum));
    this.events$ = merge(...connections.map((c) => c.events$));
  }

  /** Reads `length` bytes at `offset`: one Buffer (or `options.into`), then complete. */
  read(offset: bigint | number, length: number, options: ReadOptions = {}): Observable<Buffer> {
    return new Observable<Buffer>((subscriber) => {
      const start = this.check(subscriber, offset, length, 'read');
      if (start < 0) return;
      let dest: Buffer;
      let destStart = 0;
      if (options.into) {
        const into = options.into;
        dest = Buffer.isBuffer(into) ? into : Buffer.from(into.buffer, into.byteOffset, into.byteLength);
        destStart = options.intoOffset ?? 0;
        if (destStart < 0 || destStart + length > dest.length) {
          subscriber.error(new InvalidArgumentError(`read: destination of ${dest.length} bytes cannot take ${length} bytes at ${destStart}`));
          return;
        }
      } else {
        dest = allocReplyBuffer(length);
      }
      const result = options.into && (destStart !== 0 || length !== dest.length) ? dest.subarray(destStart, destStart + length) : dest;
      const op = new PiecedOperation<Buffer>(subscriber, result);
      const step = this.requestBytes;
      for (let done = 0; done < length; done += step) {
        const n = Math.min(step, length - done);
        const conn = this.pick();
        const request = new NbdRequest(Command.Read, 0, start + done, n, undefined);
        const piece = new ReadPiece(op, conn.assembler, start + done, n, dest, destStart + done);
        request.receiver = piece;
        const more = op.add(conn, request, piece);
        if (!more) break;
      }
      op.start();
      return op;
    });
  }

  /** Writes `data` at `offset`; the payload goes to the socket by reference (do not change it until complete). */
  write(offset: bigint | number, data: Uint8Array, options: WriteOptions = {}): Observable<void> {
    return new Observable<void>((subscriber) => {
      if (!this.writable(subscriber) || (options.fua && !this.supports(subscriber, this.info.canFua, 'FUA'))) return;
      const start = this.check(subscriber, offset, data.byteLength, 'write');
      if (start < 0) return;
      const flags = options.fua ? CommandFlag.Fua : 0;
      const op = new PiecedOperation<void>(subscriber, undefined);
      const step = this.requestBytes;
      for (let done = 0; done < data.byteLength; done += step) {
        const n = Math.min(step, data.byteLength - done);
        if (!op.add(this.pick(), new NbdRequest(Command.Write, flags, start + done, n, data.subarray(done, done + n)), new StatusPiece(op))) break;
      }
      op.start();
      return op;
    });
  }

  /** Makes every completed write durable. */
  flush(): Observable<void> {
    return this.simple(Command.Flush, 0, 0, 0, this.info.canFlush, 'flush');
  }

  /** Tells the server the range is no longer needed (reads may then return anything). */
  trim(offset: bigint | number, length: number, options: WriteOptions = {}): Observable<void> {
    return this.ranged(Command.Trim, offset, length, options.fua ? CommandFlag.Fua : 0, this.info.canTrim, 'trim', true);
  }

  /** Writes zeros over the range, cheaply when the server can. */
  zero(offset: bigint | number, length: number, options: ZeroOptions = {}): Observable<void> {
    if (options.fastZero && !this.info.canFastZero) {
      return defer(() => { throw new UnsupportedError('the server does not support fast zero'); });
    }
    const flags = (options.fua ? CommandFlag.Fua : 0) | (options.noHole ? CommandFlag.NoHole : 0) | (options.fastZero ? CommandFlag.FastZero : 0);
    return this.ranged(Command.WriteZeroes, offset, length, flags, this.info.canZero, 'zero', true);
  }

  /** Asks the server to prefetch the range. */
  cache(offset: bigint | number, length: number): Observable<void> {
    return this.ranged(Command.Cache, offset, length, 0, this.info.canCache, 'cache', false);
  }

  /** The allocation status of the range (`base:allocation`), extent by extent. */
  blockStatus(offset: bigint | number, length: number): Observable<Extent> {
    return defer(() => {
      if (this.info.baseAllocation === undefined) {
        throw new UnsupportedError('the server did not agree to base:allocation (block status needs structured replies)');
      }
      const start = checkRange(this.info, offset, length, 'blockStatus');
      return blockStatus(this.pick(), this.info.baseAllocation, start, length, this.requestBytes > 0 ? 0x7fffffff : 0);
    });
  }

  stats(): ConnectionStats[] {
    return this.connections.map((c) => c.stats());
  }

  /** Waits for requests in flight, sends NBD_CMD_DISC on every connection, and closes. */
  close(): Observable<void> {
    this.closing ??= forkJoin(
      this.connections.map((c) => c.idle().pipe(switchMap(() => c.disconnect()))),
    ).pipe(
      map(() => undefined),
      finalize(() => this.onClosed()),
      shareReplay(1),
    );
    return this.closing;
  }

  /** Drops every connection at once; pending requests fail with a connection-closed error. */
  destroy(): void {
    for (const c of this.connections) c.destroy();
    this.onClosed();
  }

  /** The least busy connection. */
  private pick(): ClientConnection {
    const cs = this.connections;
    if (cs.length === 1) return cs[0];
    let best = cs[0];
    let load = best.load;
    for (let i = 1; i < cs.length; i++) {
      const l = cs[i].load;
      if (l < load) {
        best = cs[i];
        load = l;
      }
    }
    return best;
  }

  private simple(command: Command, flags: number, offset: number, length: number, supported: boolean, what: string): Observable<void> {
    return new Observable<void>((subscriber) => {
      if (!this.supports(subscriber, supported, what)) return;
      const op = new PiecedOperation<void>(subscriber, undefined);
      op.add(this.pick(), new NbdRequest(command, flags, offset, length, undefined), new StatusPiece(op));
      op.start();
      return op;
    });
  }

  private ranged(command: Command, offset: bigint | number, length: number, flags: number, supported: boolean, what: string, writes: boolean): Observable<void> {
    return new Observable<void>((subscriber) => {
      if (!this.supports(subscriber, supported, what) || (writes && !this.writable(subscriber))) return;
      const start = this.check(subscriber, offset, length, what);
      if (start < 0) return;
      const op = new PiecedOperation<void>(subscriber, undefined);
      // Trim, zero and cache carry no payload: split only at the u32 length limit.
      const step = 0x80000000 - (0x80000000 % this.info.blockSize.minimum);
      for (let done = 0; done < length; done += step) {
        if (!op.add(this.pick(), new NbdRequest(command, flags, start + done, Math.min(step, length - done), undefined), new StatusPiece(op))) break;
      }
      op.start();
      return op;
    });
  }

  private check(subscriber: Subscriber<unknown>, offset: bigint | number, length: number, what: string): number {
    try {
      return checkRange(this.info, offset, length, what);
    } catch (err) {
      subscriber.error(err);
      return -1;
    }
  }

  private supports(subscriber: Subscriber<unknown>, supported: boolean, what: string): boolean {
    if (!supported) subscriber.error(new UnsupportedError(`the server does not support ${what}`));
    return supported;
  }

  private writable(subscriber: Subscriber<unknown>): boolean {
    if (this.info.readOnly) subscriber.error(new UnsupportedError('the export is read-only'));
    return !this.info.readOnly;
  }
}
