import { expect } from 'chai';
import type { NbdServerHandle, ServeNbdOptions } from '../../../src/nbd/server/serveNbd.js';
import { RawClient, portOf, request, startServer } from './rawClient.js';

const READ = 0, WRITE = 1;

/** Runs `count` requests of `size` bytes at queue depth `qd` with simple replies; returns the elapsed ms and the errnos. */
async function drive(c: RawClient, kind: 'read' | 'write', count: number, size: number, qd: number): Promise<{ ms: number; errors: number[] }> {
  const payload = Buffer.alloc(size, 0x5a);
  let sent = 0;
  const send = () => {
    const offset = (sent * size) % (64 << 20);
    c.write(kind === 'write' ? request(WRITE, 0, BigInt(sent), offset, size, payload) : request(READ, 0, BigInt(sent), offset, size));
    sent++;
  };
  const start = performance.now();
  while (sent < Math.min(qd, count)) send();
  const errors: number[] = [];
  for (let done = 0; done < count; done++) {
    const r = await c.readSimpleReply(kind === 'read' ? size : 0);
    errors.push(r.error);
    if (sent < count) send();
  }
  return { ms: performance.now() - start, errors };
}

describe('serveNbd device model', () => {
  let server: NbdServerHandle | undefined;
  const clients: RawClient[] = [];
  const open = async (options: ServeNbdOptions) => {
    server = await startServer({ exports: [{ name: '', size: 64 << 20 }], ...options });
    const c = await RawClient.connect(portOf(server));
    clients.push(c);
    await c.handshake();
    return c;
  };
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await server?.close();
    server = undefined;
  });

  /**
   * Measures a rate up to three times: CPU starvation on a loaded 2-core
   * machine can only make a round slower, never faster, so one round inside
   * the band is enough, and a link paced too fast fails every round.
   */
  async function withinBand(measure: () => Promise<number>, target: number): Promise<void> {
    const rates: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const ratio = (await measure()) / target;
      rates.push(Number(ratio.toFixed(3)));
      if (ratio >= 0.85 && ratio <= 1.15) return;
      if (ratio > 1.15) break;
    }
    expect.fail(`rate / target was ${rates.join(', ')}; expected within 0.85..1.15`);
  }

  it('paces writes to the gigabit link (110 MB/s ± 15 %)', async function () {
    this.timeout(10_000);
    const c = await open({ model: 'gigabit' });
    const size = 1 << 20;
    const count = 32; // 33.5 MB: about 0.3 s
    await withinBand(async () => {
      const { ms, errors } = await drive(c, 'write', count, size, 8);
      expect(errors.every((e) => e === 0)).to.equal(true);
      return (count * (size + 28)) / (ms / 1000);
    }, 110e6);
  });

  it('paces reads to the gigabit link (110 MB/s ± 15 %)', async function () {
    this.timeout(10_000);
    const c = await open({ model: 'gigabit' });
    const size = 1 << 20;
    const count = 32;
    await withinBand(async () => {
      const { ms } = await drive(c, 'read', count, size, 8);
      return (count * (size + 16)) / (ms / 1000);
    }, 110e6);
  });

  it('serves at most `parallel` requests at once, each for its service time', async () => {
    const c = await open({ model: { parallel: 2, serviceTimeMs: { distribution: 'fixed', meanMs: 25 } } });
    const { ms } = await drive(c, 'read', 6, 512, 6);
    // Three rounds of 25 ms.
    expect(ms).to.be.within(70, 115);
  });

  it('stops reading requests while the device queue is full', async () => {
    const c = await open({ model: { parallel: 1, serviceTimeMs: { distribution: 'fixed', meanMs: 20 } } });
    const count = 10_000; // 280 kB of requests, far more than one socket read
    c.write(Buffer.concat(Array.from({ length: count }, (_, i) => request(READ, 0, BigInt(i), 0, 512))));
    await new Promise((r) => setTimeout(r, 150));
    const s = server!.stats();
    expect(s.bytesIn).to.be.below(count * 28);
    expect(s.requests).to.be.below(count);
    // Served one at a time: about 150 / 20 replies so far.
    expect(s.bytesRead / 512).to.be.within(3, 10);
  });

  it('answers out of order when service times differ', async () => {
    const c = await open({ model: { parallel: 64, seed: 3, serviceTimeMs: { distribution: 'uniform', meanMs: 10 } } });
    for (let i = 0; i < 32; i++) c.write(request(READ, 0, BigInt(i), 0, 1));
    const cookies: bigint[] = [];
    for (let i = 0; i < 32; i++) cookies.push((await c.readSimpleReply(1)).cookie);
    expect(cookies).to.not.deep.equal([...cookies].sort((a, b) => Number(a - b)));
    expect([...cookies].sort((a, b) => Number(a - b))).to.deep.equal(Array.from({ length: 32 }, (_, i) => BigInt(i)));
  });

  it('injects EIO at the configured rate per command', async () => {
    const c = await open({ model: { faults: { errorRate: { read: 1 } } } });
    const reads = await drive(c, 'read', 5, 512, 5);
    expect(reads.errors).to.deep.equal([5, 5, 5, 5, 5]);
    const writes = await drive(c, 'write', 5, 512, 5);
    expect(writes.errors).to.deep.equal([0, 0, 0, 0, 0]);
    expect(server!.stats().faults).to.equal(5);
  });

  it('stalls: nothing completes inside the stall window', async () => {
    const c = await open({ model: { faults: { stall: { afterMs: 0, durationMs: 150 } } } });
    const { ms } = await drive(c, 'read', 1, 512, 1);
    expect(ms).to.be.within(100, 400);
    const after = await drive(c, 'read', 1, 512, 1);
    expect(after.ms).to.be.below(50);
  });

  it('drops the connection after the configured number of bytes', async () => {
    const c = await open({ model: { faults: { disconnectAfterBytes: 10_000 } } });
    const first = await drive(c, 'write', 1, 4096, 1);
    expect(first.errors).to.deep.equal([0]);
    c.write(request(WRITE, 0, 9n, 0, 8192, Buffer.alloc(8192)));
    expect(await c.closedWithin()).to.equal(true);
    // The request that crossed the limit was never served.
    expect(server!.stats()).to.include({ requests: 1, bytesWritten: 4096, faults: 1 });
  });
});
