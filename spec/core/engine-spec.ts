import { expect } from 'chai';
import { Observable, asyncScheduler, firstValueFrom, lastValueFrom, toArray, type SchedulerLike, type Subscription } from 'rxjs';
import type { Socket } from 'node:net';
import { connect } from '../../streams/connect.js';
import { Engine } from '../../src/core/engine.js';
import { RxbridgeError } from '../../src/core/errors.js';
import type { FramePart } from '../../src/core/codec.js';
import type { ToyHeader } from '../helpers/toyCodec.js';
import { mulberry32, startToyServer, toyCodec, type ToyRequest } from '../helpers/toyEngine.js';

/** Collects a request's reply parts into one payload. */
function replyOf(parts$: Observable<FramePart<ToyHeader>>): Promise<Buffer> {
  return lastValueFrom(parts$.pipe(toArray())).then((parts) => Buffer.concat(parts.map((p) => Buffer.from(p.payload))));
}

describe('Engine (loopback, toy codec)', () => {
  let server: Awaited<ReturnType<typeof startToyServer>>;
  let lease: Subscription | undefined;

  afterEach(async () => {
    lease?.unsubscribe();
    lease = undefined;
    await server?.close();
  });

  async function open(port: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      lease = connect({ host: '127.0.0.1', port }).subscribe({ next: resolve, error: reject });
    });
  }

  it('matches 10,000 requests whose replies come back in random order, some in two frames', async () => {
    server = await startToyServer({ random: mulberry32(7) });
    const engine = new Engine(await open(server.port), toyCodec, { maxRequests: 64 });
    const random = mulberry32(42);
    const requests: ToyRequest[] = Array.from({ length: 10_000 }, (_, i) => {
      const payload = Buffer.alloc(1 + Math.floor(random() * 300));
      for (let j = 0; j < payload.length; j++) payload[j] = (i * 31 + j) & 0xff;
      return { lane: random() < 0.3 ? 'data' : 'command', payload, parts: random() < 0.2 ? 2 : 1 };
    });
    const replies = await Promise.all(requests.map((r) => replyOf(engine.request(r))));
    replies.forEach((reply, i) => expect(reply.equals(requests[i].payload), `request ${i}`).to.equal(true));
    const stats = engine.stats();
    expect(stats).to.include({ queued: 0, inFlight: 0, completed: 10_000, failed: 0 });
    engine.terminate();
  });

  it('fails every pending request with a coded error when the peer closes mid-frame, leaving nothing behind', async () => {
    server = await startToyServer({
      silent: true,
      onConnection: (socket) => {
        socket.once('data', () => {
          // Half a reply header, then close.
          socket.end(Buffer.from([0xa1, 0, 0, 0]));
        });
      },
    });
    const engine = new Engine(await open(server.port), toyCodec, { maxRequests: 4 });
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () =>
        firstValueFrom(engine.request({ lane: 'command', payload: Buffer.from('hello') })).then(
          () => 'value',
          (err: unknown) => (err instanceof RxbridgeError ? err.code : `uncoded ${String(err)}`),
        ),
      ),
    );
    expect(new Set(outcomes)).to.have.lengthOf(1);
    expect(outcomes[0]).to.be.oneOf(['RXB_TRUNCATED', 'RXB_CONNECTION_CLOSED']);
    expect(engine.stats()).to.include({ queued: 0, inFlight: 0, failed: 20 });
    // New requests after the end fail at once, with the same cause.
    const late = await firstValueFrom(engine.request({ lane: 'command', payload: Buffer.from('x') })).catch((e) => e);
    expect(late).to.be.instanceOf(RxbridgeError);
  });

  it('drops a request unsubscribed before dispatch, and discards the reply of one unsubscribed after', async () => {
    server = await startToyServer();
    const engine = new Engine(await open(server.port), toyCodec, { maxRequests: 1 });
    const first = engine.request({ lane: 'data', payload: Buffer.alloc(1000, 1) });
    const second = engine.request({ lane: 'data', payload: Buffer.alloc(10, 2) });
    const seen: string[] = [];
    const a = first.subscribe({ next: () => seen.push('first') });
    const b = second.subscribe({ next: () => seen.push('second') });
    b.unsubscribe(); // still queued behind the window of 1: dropped
    a.unsubscribe(); // dispatched already: its reply is read and discarded
    const third = await replyOf(engine.request({ lane: 'command', payload: Buffer.from('third') }));
    expect(third.toString()).to.equal('third');
    expect(seen).to.deep.equal([]);
    await firstValueFrom(engine.idle());
    expect(engine.stats()).to.include({ queued: 0, inFlight: 0, completed: 1 });
    engine.terminate();
  });

  it('submit calls a plain observer directly, once per part and once at the end, and its record cancels like unsubscribe', async () => {
    server = await startToyServer();
    const engine = new Engine(await open(server.port), toyCodec, { maxRequests: 1 });
    const calls: string[] = [];
    const observer = (name: string) => ({
      next: (p: FramePart<ToyHeader>) => calls.push(`${name}:${p.payload.toString()}`),
      error: (e: unknown) => calls.push(`${name}:error ${String(e)}`),
      complete: () => calls.push(`${name}:complete`),
    });
    const done = new Promise<void>((resolve) => {
      engine.submit({ lane: 'command', payload: Buffer.from('one'), parts: 2 }, { ...observer('a'), complete: () => { calls.push('a:complete'); resolve(); } });
    });
    const dropped = engine.submit({ lane: 'command', payload: Buffer.from('two') }, observer('b'));
    dropped.unsubscribe(); // queued behind the window of 1: never sent
    dropped.unsubscribe(); // twice is harmless
    await done;
    await firstValueFrom(engine.idle());
    expect(calls.filter((c) => c.startsWith('a:')).join(',')).to.match(/^(a:[a-z]+,)+a:complete$/);
    expect(calls.filter((c) => c.startsWith('a:') && c !== 'a:complete').map((c) => c.slice(2)).join('')).to.equal('one');
    expect(calls.some((c) => c.startsWith('b:'))).to.equal(false);
    expect(engine.stats()).to.include({ queued: 0, inFlight: 0, completed: 1, submitted: 2 });
    engine.terminate();
    const late: string[] = [];
    engine.submit({ lane: 'command', payload: Buffer.from('x') }, { next: () => late.push('next'), error: (e: unknown) => late.push((e as RxbridgeError).code), complete: () => late.push('complete') });
    expect(late).to.deep.equal(['RXB_CONNECTION_CLOSED']); // synchronously, once
  });

  it('lets small commands, not large reads, shrink the byte window when they come back late', async () => {
    server = await startToyServer();
    // A clock the test moves: a reply that arrives after `clock.t += 50` took 50 ms.
    const clock = { t: 0 };
    const scheduler = Object.assign(Object.create(asyncScheduler) as SchedulerLike, { now: () => clock.t });
    const maxBytes = 8 * 1024 * 1024;
    const engine = new Engine(await open(server.port), toyCodec, { maxBytes, latencyTargetMs: 5, scheduler });
    const late = (payloadBytes: number) => {
      const reply = replyOf(engine.request({ lane: 'command', payload: Buffer.alloc(payloadBytes) }));
      clock.t += 50;
      return reply;
    };
    await replyOf(engine.request({ lane: 'command', payload: Buffer.alloc(16) })); // 0 ms: the baseline
    // A read moving 2 × 100 KiB is late behind nothing but the reads its caller queued: not a probe.
    for (let i = 0; i < 5; i++) await late(100 * 1024);
    expect(engine.stats().windowBytes).to.equal(maxBytes);
    // A small command as late means a queue in front of commands: the window shrinks.
    await late(16);
    expect(engine.stats().windowBytes).to.equal(Math.floor(maxBytes * 0.7));
    engine.terminate();
  });

  it('writes a burst of bulk requests in one large writev, but narrow batches once a command is about', async () => {
    server = await startToyServer({});
    const bulk = () => Array.from({ length: 4 }, (_, i): ToyRequest => ({ lane: 'data', payload: Buffer.alloc(200 * 1024, i), parts: 1 }));
    const batchesFor = async (options: { freeFlowBytes?: number }, first: ToyRequest[]) => {
      const engine = new Engine(await open(server.port), toyCodec, options);
      await Promise.all([...first, ...bulk()].map((r) => replyOf(engine.request(r))));
      const batches = engine.stats().batches;
      engine.terminate();
      lease?.unsubscribe();
      return batches;
    };
    // Pure bulk: the turn's 800 KiB go out together (the kernel takes them whole on loopback).
    expect(await batchesFor({}, [])).to.be.at.most(2);
    // The narrow limits: a batch per request.
    expect(await batchesFor({ freeFlowBytes: 0 }, [])).to.be.at.least(4);
    // A command in the same burst narrows them too.
    expect(await batchesFor({}, [{ lane: 'command', payload: Buffer.alloc(16), parts: 1 }])).to.be.at.least(4);
  });

  it('reports stage times in order for every request on events$', async () => {
    server = await startToyServer();
    const engine = new Engine(await open(server.port), toyCodec);
    const phases = new Map<number, string[]>();
    const sub = engine.events$.subscribe((e) => {
      if (e.type !== 'request') return;
      const list = phases.get(e.record.tag) ?? [];
      list.push(e.phase);
      phases.set(e.record.tag, list);
    });
    await Promise.all(Array.from({ length: 50 }, (_, i) => replyOf(engine.request({ lane: 'command', payload: Buffer.from(`r${i}`) }))));
    sub.unsubscribe();
    expect(phases.size).to.equal(50);
    for (const list of phases.values()) {
      expect(list[0]).to.equal('submitted');
      expect(list[list.length - 1]).to.equal('completed');
      expect(list).to.include.members(['dispatched', 'replied']);
    }
    engine.terminate();
  });
});
