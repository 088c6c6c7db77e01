import { expect } from 'chai';
import { firstValueFrom, lastValueFrom, type Subscription } from 'rxjs';
import type { Socket } from 'node:net';
import { connect } from '../../streams/connect.js';
import { Engine } from '../../src/core/engine.js';
import { RxbridgeError } from '../../src/core/errors.js';
import { startToyServer, toyCodec } from '../helpers/toyEngine.js';

const codeOf = (p: Promise<unknown>) => p.then(() => 'value', (e: unknown) => (e instanceof RxbridgeError ? e.code : `uncoded ${String(e)}`));

describe('Engine faults (loopback, toy codec)', () => {
  let server: Awaited<ReturnType<typeof startToyServer>>;
  let lease: Subscription | undefined;

  beforeEach(async () => {
    server = await startToyServer({ silent: true });
  });
  afterEach(async () => {
    lease?.unsubscribe();
    lease = undefined;
    await server.close();
  });

  const open = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      lease = connect({ host: '127.0.0.1', port: server.port }).subscribe({ next: resolve, error: reject });
    });

  it('a request timeout ends the connection: RXB_TIMEOUT for it, RXB_CONNECTION_CLOSED for the rest and at once for new requests', async () => {
    const engine = new Engine(await open(), toyCodec, { timeoutMs: 100, maxRequests: 2 });
    const closed = firstValueFrom(engine.terminated$);
    const t0 = performance.now();
    // Two in flight, two queued behind the window.
    const codes = await Promise.all([0, 1, 2, 3].map(() => codeOf(firstValueFrom(engine.request({ lane: 'command', payload: Buffer.from('x') })))));
    expect(performance.now() - t0).to.be.within(95, 100 + 700); // the timeout, plus slack for a loaded machine
    expect(codes).to.deep.equal(['RXB_TIMEOUT', 'RXB_CONNECTION_CLOSED', 'RXB_CONNECTION_CLOSED', 'RXB_CONNECTION_CLOSED']);
    const cause = await closed;
    expect(cause).to.have.property('code', 'RXB_CONNECTION_CLOSED');
    expect((cause as Error).cause).to.have.property('code', 'RXB_TIMEOUT');
    // At once: the error arrives while subscribing.
    let late: unknown;
    engine.request({ lane: 'command', payload: Buffer.from('y') }).subscribe({ error: (e: unknown) => (late = e) });
    expect(late).to.have.property('code', 'RXB_CONNECTION_CLOSED');
    expect(engine.stats()).to.include({ inFlight: 0, inFlightBytes: 0, queued: 0 });
  });

  it('terminate() with requests in flight leaves nothing in flight, so idle() completes', async () => {
    const engine = new Engine(await open(), toyCodec, { maxRequests: 4 });
    const pending = [0, 1, 2].map(() => codeOf(firstValueFrom(engine.request({ lane: 'data', payload: Buffer.alloc(100) }))));
    await new Promise((r) => setTimeout(r, 20)); // admitted and sent
    expect(engine.stats().inFlight).to.equal(3);
    engine.terminate();
    expect(await Promise.all(pending)).to.deep.equal(['RXB_CONNECTION_CLOSED', 'RXB_CONNECTION_CLOSED', 'RXB_CONNECTION_CLOSED']);
    expect(engine.stats()).to.include({ inFlight: 0, inFlightBytes: 0 });
    await lastValueFrom(engine.idle(), { defaultValue: undefined });
  });
});
