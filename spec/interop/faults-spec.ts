/**
 * The NBD client against real servers that fail: nbdkit's error filter
 * (EIO on a fraction of reads and writes), a server killed mid-transfer, a
 * connection reset, and a server that stops answering. Every failed request
 * must carry a coded error, the others must succeed with the right data,
 * and after a lost connection new requests must fail at once.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, mergeMap, range, toArray, type Observable } from 'rxjs';
import { RxbridgeError } from '../../src/core/errors.js';
import { connectNbd, type NbdClient, type NbdOptions } from '../../src/nbd/client/index.js';
import { startNbdkit, type RunningPeer } from '../helpers/peers.js';

const BLOCK = 4096;
const done = <T>(o: Observable<T>) => lastValueFrom(o, { defaultValue: undefined });

/** Block `i` of version `v`: every byte says which block and which version. */
function block(i: number, v: number): Buffer {
  const b = Buffer.alloc(BLOCK, (i * 7 + v * 101) & 0xff);
  b.writeUInt32BE(i, 0);
  b.writeUInt32BE(v, 4);
  return b;
}

interface Outcome<T> {
  ok: boolean;
  value?: T;
  code?: string;
  error?: unknown;
  ms: number;
}

/** Runs `call(i)` for i in [0, n), `depth` at a time, and records how each ended. */
async function each<T>(n: number, depth: number, call: (i: number) => Observable<T>): Promise<Outcome<T>[]> {
  const out: Outcome<T>[] = new Array(n);
  await lastValueFrom(
    range(0, n).pipe(
      mergeMap(async (i) => {
        const t0 = performance.now();
        out[i] = await done(call(i)).then(
          (value) => ({ ok: true, value: value as T, ms: performance.now() - t0 }),
          (error: unknown) => ({ ok: false, error, code: (error as RxbridgeError).code, ms: performance.now() - t0 }),
        );
      }, depth),
      toArray(),
    ),
  );
  return out;
}

function expectAllCoded(outcomes: Outcome<unknown>[]): void {
  for (const o of outcomes.filter((x) => !x.ok)) {
    expect(o.error, String(o.error)).to.be.instanceOf(RxbridgeError);
    expect(o.code).to.match(/^[A-Z][A-Z0-9_]+$/);
  }
}

/** A request on a lost connection fails at once (while subscribing: no clock to be late), with a coded error. */
function expectFailsFast(client: NbdClient): void {
  let error: unknown;
  client.read(0, BLOCK).subscribe({ error: (e: unknown) => (error = e) }).unsubscribe();
  expect(error, 'a request after the connection was lost').to.be.instanceOf(RxbridgeError);
}

/**
 * How many times nbdkit logged `what`, once its stderr has caught up with
 * `expected` (the log comes through a pipe, after the reply on the socket)
 * or has been quiet for 500 ms.
 */
async function logged(peer: RunningPeer, what: string, expected: number): Promise<number> {
  const count = () => peer.stderr().split(what).length - 1;
  for (let waited = 0; count() < expected && waited < 500; waited += 10) await new Promise((r) => setTimeout(r, 10));
  return count();
}

describe('NBD client faults against nbdkit', function () {
  this.timeout(60_000);
  let peer: RunningPeer | undefined;
  let client: NbdClient | undefined;
  let stopped = false;

  afterEach(async () => {
    client?.destroy();
    client = undefined;
    if (peer && stopped) process.kill(peer.pid, 'SIGCONT');
    stopped = false;
    await peer?.stop();
    peer = undefined;
  });

  const open = async (options: NbdOptions = {}) => {
    client = await firstValueFrom(connectNbd(peer!.uri, options));
    return client;
  };

  it('error filter: exactly the requests nbdkit fails fail, with NBD_EIO; the others succeed with the right data', async () => {
    const blocks = 600;
    const dir = mkdtempSync(join(tmpdir(), 'rxbridge-faults-'));
    const injectReads = join(dir, 'pread');
    const injectWrites = join(dir, 'pwrite');
    try {
      peer = await startNbdkit(
        ['memory', '64M', 'error=EIO', 'error-pread-rate=20%', `error-pread-file=${injectReads}`, 'error-pwrite-rate=20%', `error-pwrite-file=${injectWrites}`],
        { filters: ['error'], threads: 16 },
      );
      const c = await open();
      // Version 1 everywhere, while no error is injected.
      expectAllCoded(await each(blocks, 32, (i) => c.write(i * BLOCK, block(i, 1))));

      // Version 2 with 20 % of the writes failing: a failed write changes nothing.
      writeFileSync(injectWrites, '');
      const writes = await each(blocks, 32, (i) => c.write(i * BLOCK, block(i, 2)));
      unlinkSync(injectWrites);
      const failedWrites = writes.filter((o) => !o.ok);
      expect(failedWrites.map((o) => o.code)).to.satisfy((codes: string[]) => codes.every((x) => x === 'NBD_EIO'));
      expect(failedWrites.length).to.be.within(blocks * 0.1, blocks * 0.3);
      expect(await logged(peer, 'injecting EIO error into pwrite', failedWrites.length), 'errors nbdkit injected').to.equal(failedWrites.length);

      const readBack = await each(blocks, 32, (i) => c.read(i * BLOCK, BLOCK));
      readBack.forEach((o, i) => {
        expect(o.ok, `block ${i} read without injection`).to.equal(true);
        expect((o.value as Buffer).equals(block(i, writes[i].ok ? 2 : 1)), `block ${i}: the write ${writes[i].ok ? 'succeeded' : 'failed'}`).to.equal(true);
      });

      // Reads with 20 % failing: the others return exactly what is stored.
      writeFileSync(injectReads, '');
      const reads = await each(blocks, 32, (i) => c.read(i * BLOCK, BLOCK));
      unlinkSync(injectReads);
      const failedReads = reads.filter((o) => !o.ok);
      expect(failedReads.every((o) => o.code === 'NBD_EIO')).to.equal(true);
      expect(failedReads.length).to.be.within(blocks * 0.1, blocks * 0.3);
      expect(await logged(peer, 'injecting EIO error into pread', failedReads.length), 'errors nbdkit injected').to.equal(failedReads.length);
      reads.forEach((o, i) => {
        if (o.ok) expect((o.value as Buffer).equals(block(i, writes[i].ok ? 2 : 1)), `block ${i}`).to.equal(true);
      });
      // The connection survived all of it.
      expect(c.stats()[0]).to.include({ inFlight: 0, queued: 0 });
      await done(c.close());
      client = undefined;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a server killed (SIGKILL) mid-transfer: every pending request fails with a coded error, new ones at once', async () => {
    // Delayed replies keep requests pending when the kill lands.
    peer = await startNbdkit(['memory', '64M', 'rdelay=100ms', 'wdelay=100ms'], { filters: ['delay'], threads: 64 });
    const c = await open();
    const outcomes = each<unknown>(128, 64, (i) => (i % 2 ? c.write(i * BLOCK, block(i, 3)) : c.read(i * BLOCK, BLOCK)));
    await new Promise((r) => setTimeout(r, 150));
    const killedAt = performance.now();
    process.kill(peer.pid, 'SIGKILL');
    const settled = await outcomes;
    expect(performance.now() - killedAt, 'pending requests fail promptly, without any timeout').to.be.below(1000);
    expectAllCoded(settled);
    expect(settled.filter((o) => !o.ok).length).to.be.greaterThan(0);
    for (const o of settled) expect(o.ok || o.code === 'RXB_CONNECTION_CLOSED' || o.code === 'RXB_TRUNCATED', o.code).to.equal(true);
    expectFailsFast(c);
    await done(c.close()); // at once: the connection is gone
  });

  it('a connection reset: every pending request fails with RXB_CONNECTION_CLOSED, new ones at once', async () => {
    peer = await startNbdkit(['memory', '64M', 'rdelay=100ms'], { filters: ['delay'], threads: 64 });
    const proxy = await startResetProxy(peer.port);
    try {
      client = await firstValueFrom(connectNbd(proxy.uri));
      const c = client;
      const outcomes = each(64, 64, (i) => c.read(i * BLOCK, BLOCK));
      await new Promise((r) => setTimeout(r, 30));
      proxy.reset();
      const settled = await outcomes;
      expect(settled.map((o) => o.code)).to.deep.equal(new Array(64).fill('RXB_CONNECTION_CLOSED'));
      expect((settled[0].error as Error).cause, 'the socket error is kept as the cause').to.have.property('code', 'ECONNRESET');
      expectFailsFast(c);
    } finally {
      await proxy.close();
    }
  });

  it('a server that stops answering (SIGSTOP): timeouts fire (RXB_TIMEOUT), then requests fail at once', async () => {
    peer = await startNbdkit(['memory', '64M'], { threads: 16 });
    const timeoutMs = 400;
    const c = await open({ timeoutMs });
    expect((await firstValueFrom(c.read(0, BLOCK))).length).to.equal(BLOCK);
    process.kill(peer.pid, 'SIGSTOP');
    stopped = true;
    const settled = await each(32, 32, (i) => c.read(i * BLOCK, BLOCK));
    const codes = settled.map((o) => o.code);
    expect(codes).to.include('RXB_TIMEOUT');
    expect(codes.every((x) => x === 'RXB_TIMEOUT' || x === 'RXB_CONNECTION_CLOSED'), codes.join()).to.equal(true);
    for (const o of settled) expect(o.ms).to.be.within(timeoutMs - 20, timeoutMs + 700);
    expectFailsFast(c);
    await done(c.close());
  });
});

/** A TCP proxy to nbdkit whose `reset()` resets the client's side of every connection (RST, not FIN). */
function startResetProxy(port: number): Promise<{ uri: string; reset(): void; close(): Promise<void> }> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  const server = net.createServer((downstream) => {
    const upstream = net.connect({ host: '127.0.0.1', port });
    const pair: [net.Socket, net.Socket] = [downstream, upstream];
    pairs.add(pair);
    downstream.on('error', () => {});
    upstream.on('error', () => {});
    downstream.pipe(upstream);
    upstream.pipe(downstream);
    downstream.once('close', () => {
      upstream.destroy();
      pairs.delete(pair);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        uri: `nbd://127.0.0.1:${(server.address() as net.AddressInfo).port}/`,
        reset: () => {
          for (const [down, up] of pairs) {
            down.resetAndDestroy();
            up.destroy();
          }
        },
        close: () => {
          for (const [down, up] of pairs) {
            down.destroy();
            up.destroy();
          }
          return new Promise<void>((r) => server.close(() => r()));
        },
      }),
    ),
  );
}
