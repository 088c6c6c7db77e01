/**
 * Spec helpers for the device emulator: a raw `net` client that writes
 * scripted bytes and reads exact byte counts, and a server started for a test.
 */
import net from 'node:net';
import { serveNbd, type NbdServerHandle, type ServeNbdOptions } from '../../../src/nbd/server/serveNbd.js';

export const IHAVEOPT = Buffer.from('IHAVEOPT', 'latin1');
export const NBDMAGIC = Buffer.from('NBDMAGIC', 'latin1');

/** Starts a server on 127.0.0.1 port 0; it runs until `handle.close()` (which completes the subscription). */
export function startServer(options: ServeNbdOptions = {}): Promise<NbdServerHandle> {
  return new Promise((resolve, reject) => {
    serveNbd(options).subscribe({ next: resolve, error: reject });
  });
}

export function portOf(server: NbdServerHandle): number {
  return (server.address as { port: number }).port;
}

/** An option: IHAVEOPT, u32 option, u32 length, data. */
export function option(opt: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(16);
  IHAVEOPT.copy(head, 0);
  head.writeUInt32BE(opt, 8);
  head.writeUInt32BE(data.length, 12);
  return Buffer.concat([head, data]);
}

/** NBD_OPT_GO / INFO data: name, info requests. */
export function goData(name: string, infos: number[] = []): Buffer {
  const n = Buffer.from(name);
  const b = Buffer.alloc(4 + n.length + 2 + 2 * infos.length);
  b.writeUInt32BE(n.length, 0);
  n.copy(b, 4);
  b.writeUInt16BE(infos.length, 4 + n.length);
  infos.forEach((t, i) => b.writeUInt16BE(t, 6 + n.length + 2 * i));
  return b;
}

/** SET/LIST_META_CONTEXT data: name, queries. */
export function metaData(name: string, queries: string[]): Buffer {
  const parts: Buffer[] = [];
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v);
    return b;
  };
  parts.push(u32(Buffer.byteLength(name)), Buffer.from(name), u32(queries.length));
  for (const q of queries) parts.push(u32(Buffer.byteLength(q)), Buffer.from(q));
  return Buffer.concat(parts);
}

/** A request header (plus payload for WRITE). */
export function request(type: number, flags: number, cookie: bigint, offset: bigint | number, length: number, payload?: Buffer): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt32BE(0x25609513, 0);
  b.writeUInt16BE(flags, 4);
  b.writeUInt16BE(type, 6);
  b.writeBigUInt64BE(cookie, 8);
  b.writeBigUInt64BE(BigInt(offset), 16);
  b.writeUInt32BE(length, 24);
  return payload ? Buffer.concat([b, payload]) : b;
}

export interface OptionReply {
  option: number;
  type: number;
  data: Buffer;
}

export interface Chunk {
  flags: number;
  type: number;
  cookie: bigint;
  payload: Buffer;
}

/** A raw client: every read waits for an exact number of bytes (or fails on close/timeout). */
export class RawClient {
  readonly socket: net.Socket;
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private waiter: (() => void) | undefined;
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    // Scripted requests go out as written: Nagle would hold small ones back until the server ACKs.
    socket.setNoDelay(true);
    socket.on('data', (chunk) => {
      this.buffered.push(chunk);
      this.bufferedBytes += chunk.length;
      this.waiter?.();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.once('end', () => {
      this.ended = true;
      this.waiter?.();
    });
    socket.once('close', () => {
      this.ended = true;
      this.waiter?.();
    });
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Resolves with exactly `n` bytes; rejects if the connection ends first or after `timeoutMs`. */
  async read(n: number, timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.bufferedBytes < n) {
      if (this.ended) throw new Error(`connection ended with ${this.bufferedBytes} of ${n} bytes`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${n} bytes (have ${this.bufferedBytes})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    const all = Buffer.concat(this.buffered);
    this.buffered = [all.subarray(n)];
    this.bufferedBytes = all.length - n;
    return all.subarray(0, n);
  }

  /** Resolves true when the server closes the connection within `timeoutMs`. */
  async closedWithin(timeoutMs = 2000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const result = await Promise.race([this.closed.then(() => true), timedOut]);
    clearTimeout(timer);
    return result;
  }

  /** Reads the 18-byte greeting and answers with client flags. */
  async greet(clientFlags = 3): Promise<number> {
    const greeting = await this.read(18);
    if (!greeting.subarray(0, 8).equals(NBDMAGIC) || !greeting.subarray(8, 16).equals(IHAVEOPT)) throw new Error('bad greeting');
    const flags = Buffer.alloc(4);
    flags.writeUInt32BE(clientFlags);
    this.write(flags);
    return greeting.readUInt16BE(16);
  }

  async readOptionReply(): Promise<OptionReply> {
    const h = await this.read(20);
    if (h.readBigUInt64BE(0) !== 0x0003e889045565a9n) throw new Error('bad option reply magic');
    const length = h.readUInt32BE(16);
    return { option: h.readUInt32BE(8), type: h.readUInt32BE(12), data: length ? await this.read(length) : Buffer.alloc(0) };
  }

  /** Reads option replies up to and including the final one (ACK or an error). */
  async readOptionReplies(): Promise<OptionReply[]> {
    const out: OptionReply[] = [];
    for (;;) {
      const r = await this.readOptionReply();
      out.push(r);
      if (r.type === 1 || r.type >= 0x80000000) return out;
    }
  }

  /** Greeting, optional structured replies and base:allocation, then GO; returns the export size and flags. */
  async handshake(opts: { name?: string; structured?: boolean; meta?: boolean } = {}): Promise<{ size: bigint; flags: number }> {
    const name = opts.name ?? '';
    await this.greet();
    if (opts.structured) {
      this.write(option(8));
      await this.readOptionReplies();
    }
    if (opts.meta) {
      this.write(option(10, metaData(name, ['base:allocation'])));
      await this.readOptionReplies();
    }
    this.write(option(7, goData(name)));
    const replies = await this.readOptionReplies();
    const last = replies[replies.length - 1];
    if (last.type !== 1) throw new Error(`GO failed: 0x${last.type.toString(16)}`);
    const info = replies.find((r) => r.type === 3 && r.data.readUInt16BE(0) === 0)!;
    return { size: info.data.readBigUInt64BE(2), flags: info.data.readUInt16BE(10) };
  }

  /** A simple reply: error and cookie (then `dataLength` bytes if it succeeded). */
  async readSimpleReply(dataLength = 0): Promise<{ error: number; cookie: bigint; data: Buffer }> {
    const h = await this.read(16);
    if (h.readUInt32BE(0) !== 0x67446698) throw new Error(`bad simple reply magic 0x${h.readUInt32BE(0).toString(16)}`);
    const error = h.readUInt32BE(4);
    const data = error === 0 && dataLength > 0 ? await this.read(dataLength) : Buffer.alloc(0);
    return { error, cookie: h.readBigUInt64BE(8), data };
  }

  async readChunk(): Promise<Chunk> {
    const h = await this.read(20);
    if (h.readUInt32BE(0) !== 0x668e33ef) throw new Error(`bad chunk magic 0x${h.readUInt32BE(0).toString(16)}`);
    const length = h.readUInt32BE(16);
    return { flags: h.readUInt16BE(4), type: h.readUInt16BE(6), cookie: h.readBigUInt64BE(8), payload: length ? await this.read(length) : Buffer.alloc(0) };
  }

  destroy(): void {
    this.socket.destroy();
  }
}
