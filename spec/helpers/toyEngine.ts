/**
 * The toy protocol plugged into the engine, and a toy server on 127.0.0.1
 * that answers each request frame with its payload echoed back, for loopback
 * specs of the protocol-agnostic engine.
 */
import net from 'node:net';
import type { Lane } from '../../src/core/codec.js';
import type { EngineCodec } from '../../src/core/engineOptions.js';
import { ToyDecoder, encodeToyFrame, encodeToyHeader, type ToyHeader } from './toyCodec.js';

export interface ToyRequest {
  readonly lane: Lane;
  readonly payload: Buffer;
  /** Reply in this many frames (the last one final). */
  readonly parts?: number;
}

export const toyCodec: EngineCodec<ToyHeader, ToyRequest> = {
  createDecoder: () => new ToyDecoder(64 * 1024 * 1024),
  encode: (meta, tag) => [encodeToyHeader(tag, (meta.parts ?? 1) <= 1, meta.payload.length), meta.payload],
  lane: (meta) => meta.lane,
  replyBytes: (meta) => meta.payload.length,
  classOf: (meta) => meta.lane,
};

/**
 * A toy server. Each request frame's `final` byte says whether to answer in
 * one frame (1) or two (0). The replies to the requests of one received
 * chunk are sent shuffled, so they come back out of order.
 */
export interface ToyServerOptions {
  /** Random source for the shuffle (seeded in specs). */
  random?: () => number;
  /** Called with each accepted socket (to misbehave on purpose). */
  onConnection?: (socket: net.Socket) => void;
  /** Do not answer at all. */
  silent?: boolean;
}

export function startToyServer(options: ToyServerOptions = {}): Promise<{ port: number; close(): Promise<void>; sockets: Set<net.Socket> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    options.onConnection?.(socket);
    if (options.silent) return;
    const random = options.random ?? Math.random;
    let pending = Buffer.alloc(0);
    let held: Buffer[][] = [];
    socket.on('data', (chunk) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let at = 0;
      while (pending.length - at >= 10) {
        const tag = pending.readUInt32BE(at + 1);
        const single = pending[at + 5] !== 0;
        const length = pending.readUInt32BE(at + 6);
        if (pending.length - at < 10 + length) break;
        const payload = Buffer.from(pending.subarray(at + 10, at + 10 + length));
        at += 10 + length;
        if (single) held.push([encodeToyFrame(tag, true, payload)]);
        else {
          const half = payload.length >> 1;
          held.push([encodeToyFrame(tag, false, payload.subarray(0, half)), encodeToyFrame(tag, true, payload.subarray(half))]);
        }
      }
      pending = pending.subarray(at);
      if (held.length > 0) {
        for (let i = held.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [held[i], held[j]] = [held[j], held[i]];
        }
        const out = held.flat();
        held = [];
        socket.write(Buffer.concat(out));
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        port,
        sockets,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** A small deterministic PRNG for shuffles (the device model's). */
export { mulberry32 } from '../../src/device/model.js';
