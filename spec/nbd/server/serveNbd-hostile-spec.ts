import { expect } from 'chai';
import type { NbdServerHandle } from '../../../src/nbd/server/serveNbd.js';
import { RawClient, portOf, request, startServer } from './rawClient.js';

const READ = 0, WRITE = 1;

/** Polls `check` until it holds or `timeoutMs` passes. */
async function eventually(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('serveNbd against hostile clients', () => {
  let server: NbdServerHandle;
  const clients: RawClient[] = [];
  const connect = async () => {
    const c = await RawClient.connect(portOf(server));
    clients.push(c);
    return c;
  };
  /** Another client is still served while (or after) one misbehaves. */
  const stillServes = async () => {
    const c = await connect();
    await c.handshake();
    c.write(request(READ, 0, 42n, 0, 16));
    const r = await c.readSimpleReply(16);
    expect([r.error, r.cookie]).to.deep.equal([0, 42n]);
  };

  beforeEach(async () => {
    server = await startServer({ exports: [{ name: '', size: 64 << 20 }] });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await server.close();
  });

  it('drops a client that sends a bad request magic', async () => {
    const c = await connect();
    await c.handshake();
    const bad = request(READ, 0, 1n, 0, 1);
    bad.writeUInt32BE(0xdeadbeef, 0);
    c.write(bad);
    expect(await c.closedWithin()).to.equal(true);
    expect(server.stats().dropped).to.equal(1);
    await stillServes();
  });

  it('drops a client that sends a bad option magic', async () => {
    const c = await connect();
    await c.greet();
    c.write(Buffer.alloc(16, 0x41));
    expect(await c.closedWithin()).to.equal(true);
    await stillServes();
  });

  it('drops a client announcing an absurdly large WRITE, before any payload', async () => {
    const c = await connect();
    await c.handshake();
    c.write(request(WRITE, 0, 1n, 0, 0xffffffff));
    expect(await c.closedWithin()).to.equal(true);
    await stillServes();
  });

  it('survives a client that disconnects in the middle of a WRITE payload', async () => {
    const c = await connect();
    await c.handshake();
    c.write(request(WRITE, 0, 1n, 0, 1 << 20, Buffer.alloc(300_000, 9)).subarray(0, 28 + 300_000));
    await eventually(() => server.stats().bytesWritten >= 300_000);
    c.destroy();
    await eventually(() => server.stats().open === 0);
    await stillServes();
  });

  it('survives a client that disconnects in the middle of a request header or the handshake', async () => {
    const a = await connect();
    await a.handshake();
    a.write(request(READ, 0, 1n, 0, 1).subarray(0, 13));
    const b = await connect();
    await b.greet();
    b.write(Buffer.from('IHAVEOPT\0\0'));
    await new Promise((r) => setTimeout(r, 20));
    a.destroy();
    b.destroy();
    await eventually(() => server.stats().open === 0);
    await stillServes();
  });

  it('stops reading from a client that never reads its replies, holding bounded memory', async function () {
    this.timeout(10_000);
    const c = await connect();
    await c.handshake();
    // Never read: pause the client's socket so replies pile up in the kernel, then stop.
    c.socket.pause();
    const requests = 100_000; // 2.8 MB of requests asking for 100 GB of replies
    const batch = Buffer.concat(Array.from({ length: 1000 }, (_, i) => request(READ, 0, BigInt(i), 0, 1 << 20)));
    for (let i = 0; i < requests / 1000; i++) c.write(batch);
    // Let the server read what it will.
    let last = -1;
    await eventually(() => {
      const s = server.stats();
      const settled = s.bytesRead === last;
      last = s.bytesRead;
      return settled && s.bytesRead > 0;
    }, 5000);
    await new Promise((r) => setTimeout(r, 200));
    const s = server.stats();
    // Replies held in user space stay within the 32 MiB budget; the rest sit in kernel socket buffers.
    expect(s.bytesRead).to.be.below(48 << 20);
    expect(s.bytesIn).to.be.below(requests * 28);
    expect(s.requests).to.be.below(requests);
    await stillServes();
  });
});
