/**
 * Loopback fixtures for the streams specs: a raw `net` server on 127.0.0.1:0,
 * a client connected through `connect()`, and the server's side of it.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as net from 'node:net';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Subscription } from 'rxjs';
import { connect } from '../../streams/connect.js';

export interface Loopback {
  /** Our side, from `connect()`, held open by `lease`. */
  readonly client: Socket;
  /** The server's side of the same connection. */
  readonly peer: Socket;
  readonly server: net.Server;
  readonly lease: Subscription;
  /** Destroys both sides and closes the server. */
  close(): Promise<void>;
}

export interface LoopbackOptions {
  /** Passed to connect(): 0 reads through 'data' events. */
  receiveBufferBytes?: number;
  /** The server's side does not read until resumed. */
  pauseOnConnect?: boolean;
}

export async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

export async function closeServer(server: net.Server): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export async function openLoopback(options: LoopbackOptions = {}): Promise<Loopback> {
  const server = net.createServer({ pauseOnConnect: options.pauseOnConnect ?? false });
  const port = await listen(server);
  const peerPromise = new Promise<Socket>((resolve) => server.once('connection', resolve));
  let lease!: Subscription;
  const client = await new Promise<Socket>((resolve, reject) => {
    lease = connect({ host: '127.0.0.1', port, receiveBufferBytes: options.receiveBufferBytes }).subscribe({
      next: resolve,
      error: reject,
    });
  });
  const peer = await peerPromise;
  peer.on('error', () => {}); // resets are provoked on purpose
  return {
    client,
    peer,
    server,
    lease,
    async close() {
      lease.unsubscribe();
      peer.destroy();
      await closeServer(server);
    },
  };
}

/** The two receive modes every source spec runs in. */
export const RECEIVE_MODES = [
  { name: 'reusable receive buffer (onread)', receiveBufferBytes: 64 * 1024 },
  { name: "'data' events", receiveBufferBytes: 0 },
] as const;

/** Odd write sizes, from one byte to about a megabyte. */
const ODD_SIZES = [1, 13, 1021, 65_537, 4093, 131_071, 7, 524_287, 999_983, 333];

/** A byte stream of `total` bytes, written in odd-sized slices of a random block. */
export class OddStream {
  readonly hash = createHash('sha256');
  private readonly block = randomBytes(2 * 1024 * 1024);
  private written = 0;
  private index = 0;

  constructor(readonly total: number) {}

  /** The next slice (a view, not a copy), or undefined at the end. */
  next(): Buffer | undefined {
    if (this.written >= this.total) return undefined;
    const size = Math.min(ODD_SIZES[this.index % ODD_SIZES.length]!, this.total - this.written);
    const start = (this.index * 7919) % (this.block.length - size);
    this.index++;
    this.written += size;
    const slice = this.block.subarray(start, start + size);
    this.hash.update(slice);
    return slice;
  }

  /** Writes the whole stream to `socket`, respecting its back-pressure, then ends it. */
  async writeTo(socket: Socket, end = true): Promise<void> {
    for (let slice = this.next(); slice; slice = this.next()) {
      if (!socket.write(slice)) await new Promise<void>((resolve) => socket.once('drain', resolve));
    }
    if (end) socket.end();
  }
}

/** Polls until `predicate` holds, failing after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Waits until `value()` stops changing for `stableMs`. */
export async function settle(value: () => number, stableMs = 60, timeoutMs = 5000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = value();
  let since = Date.now();
  for (;;) {
    await sleep(10);
    const now = value();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= stableMs) {
      return now;
    }
    if (Date.now() > deadline) throw new Error('value did not settle');
  }
}

/** Counts the TCP handles Node keeps alive, to prove a spec left none behind. */
export function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((name) => name.startsWith('TCP')).length;
}
