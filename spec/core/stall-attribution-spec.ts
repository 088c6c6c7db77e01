import { expect } from 'chai';
import net from 'node:net';
import { Subscription, filter, firstValueFrom, timeout } from 'rxjs';
import { connect } from '../../streams/connect.js';
import { Engine } from '../../src/core/engine.js';
import type { StallEvent } from '../../src/core/events.js';
import { encodeToyFrame } from '../helpers/toyCodec.js';
import { toyCodec, type ToyRequest } from '../helpers/toyEngine.js';

/**
 * Stalls reported on the engine's events$ carry the cause judged from where
 * the oldest waiting request is: in the device, behind our own queue, or
 * behind a socket the peer does not read.
 */
describe('Engine stall attribution (loopback)', function () {
  this.timeout(20_000);
  let leases = new Subscription();
  const servers: net.Server[] = [];
  const sockets: net.Socket[] = [];

  afterEach(async () => {
    leases.unsubscribe();
    leases = new Subscription();
    for (const s of sockets.splice(0)) s.destroy();
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  /** A peer that answers each toy request `delayMs` after it arrives, or reads nothing at all. */
  async function peer(behaviour: { delayMs?: number; deaf?: boolean }): Promise<number> {
    const server = net.createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => {});
      if (behaviour.deaf) {
        socket.pause();
        return;
      }
      let buf = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 10 && buf.length >= 10 + buf.readUInt32BE(6)) {
          const tag = buf.readUInt32BE(1);
          const len = buf.readUInt32BE(6);
          buf = buf.subarray(10 + len);
          setTimeout(() => socket.writable && socket.write(encodeToyFrame(tag, true, Buffer.alloc(1))), behaviour.delayMs ?? 0);
        }
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as net.AddressInfo).port;
  }

  async function engineTo(port: number, options: ConstructorParameters<typeof Engine>[2]) {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      leases.add(connect({ host: '127.0.0.1', port }).subscribe({ next: resolve, error: reject }));
    });
    const engine = new Engine<import('../helpers/toyCodec.js').ToyHeader, ToyRequest>(socket, toyCodec, options);
    leases.add(() => engine.terminate());
    return engine;
  }

  const firstStall = (engine: Engine<any, ToyRequest>, cls: string) =>
    firstValueFrom(engine.events$.pipe(
      filter((e): e is StallEvent => e.type === 'stall' && e.phase === 'start' && e.class === cls),
      timeout(10_000),
    ));

  it('a device that does not answer in time: cause "device"', async () => {
    const engine = await engineTo(await peer({ delayMs: 600 }), { stallThresholdMs: 200 });
    const stall = firstStall(engine, 'command');
    engine.request({ lane: 'command', payload: Buffer.alloc(8) }).subscribe({ error: () => {} });
    const e = await stall;
    expect(e.cause).to.equal('device');
    expect(e.durationMs).to.be.at.least(200);
  });

  it('a request queued behind our own requests in flight: cause "send-backlog"', async () => {
    const engine = await engineTo(await peer({ delayMs: 500 }), { stallThresholdMs: 200, maxRequests: 2, latencyTargetMs: 0 });
    const stall = firstStall(engine, 'data');
    // Two commands fill the window; the data request waits in our queue.
    for (let i = 0; i < 2; i++) engine.request({ lane: 'command', payload: Buffer.alloc(8) }).subscribe({ error: () => {} });
    engine.request({ lane: 'data', payload: Buffer.alloc(8) }).subscribe({ error: () => {} });
    expect((await stall).cause).to.equal('send-backlog');
  });

  it('a peer that stops reading: cause "socket-backpressure"', async () => {
    const engine = await engineTo(await peer({ deaf: true }), { stallThresholdMs: 200, maxBytes: 256 * 1024 * 1024, maxRequests: 1024, latencyTargetMs: 0 });
    const stall = firstStall(engine, 'data');
    // 64 MiB toward a peer that reads nothing: the kernel buffers fill, the sink stops, requests wait.
    for (let i = 0; i < 64; i++) engine.request({ lane: 'data', payload: Buffer.alloc(1024 * 1024) }).subscribe({ error: () => {} });
    const e = await stall;
    expect(e.cause).to.equal('socket-backpressure');
    expect(engine.stats().sinkReady).to.equal(false);
  });
});

