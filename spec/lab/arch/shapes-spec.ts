/**
 * What makes each classic architecture what it is, pinned by orderings of
 * stage times (not by timing thresholds): the device's host→device link is
 * slow (20 MB/s), so sends back up into the kernel while replies come back at once.
 */
import { expect } from 'chai';
import { connectClassic } from '../../../src/lab/arch/connectClassic.js';
import type { ClassicArch, LabClient, StageRecord } from '../../../src/lab/arch/types.js';
import { call, startDevice } from './device.js';

const MiB = 1 << 20;

describe('classic architecture shapes', function () {
  this.timeout(30_000);
  let device: Awaited<ReturnType<typeof startDevice>>;
  before(async () => {
    device = await startDevice({ model: { base: 'unlimited', readBytesPerSecond: 20e6 } });
  });
  after(async () => {
    await device.stop();
  });

  async function withClient(arch: ClassicArch, body: (c: LabClient) => Promise<void>): Promise<StageRecord[]> {
    const client = await connectClassic(arch, device.handle.uri);
    try {
      await body(client);
      return client.stages();
    } finally {
      await client.close();
    }
  }

  /** A small read, then 12 MiB of writes queued behind it; returns the read's record and the last write's. */
  async function readThenWrites(arch: ClassicArch) {
    const records = await withClient(arch, async (c) => {
      const all = [call<Buffer>((done) => c.read(0, 4096, done))];
      for (let i = 0; i < 12; i++) all.push(call<void>((done) => c.write(i * MiB, Buffer.alloc(MiB), done)) as Promise<undefined>);
      await Promise.all(all);
    });
    const read = records.find((r) => r.op === 'read')!;
    const writes = records.filter((r) => r.op === 'write');
    const lastDispatch = Math.max(...writes.map((w) => w.times.dispatched));
    return { read, lastDispatch };
  }

  it('fifo: a reply that has arrived waits, unparsed, until the worker has sent every write queued before it', async () => {
    const { read, lastDispatch } = await readThenWrites('fifo');
    expect(read.times.dispatched).to.be.below(lastDispatch);
    expect(read.times.replied).to.be.at.least(lastDispatch);
    expect(read.times.completed - read.times.submitted).to.be.above(100); // 12 MiB at 20 MB/s, minus what the kernel buffers
  });

  it('sendqueue: the receive loop parses that reply at once, while the sender is still busy', async () => {
    const { read, lastDispatch } = await readThenWrites('sendqueue');
    expect(read.times.completed).to.be.below(lastDispatch);
  });

  it('sendqueue: a read queued behind writes is dispatched only after all of them (head-of-line blocking)', async () => {
    const records = await withClient('sendqueue', async (c) => {
      const all: Promise<unknown>[] = [];
      for (let i = 0; i < 8; i++) all.push(call<void>((done) => c.write(i * MiB, Buffer.alloc(MiB), done)));
      all.push(call<Buffer>((done) => c.read(0, 4096, done)));
      await Promise.all(all);
    });
    const read = records.find((r) => r.op === 'read')!;
    for (const w of records.filter((r) => r.op === 'write')) expect(read.times.dispatched).to.be.at.least(w.times.dispatched);
    expect(read.times.dispatched - read.times.submitted).to.be.above(50);
  });

  it('lockstep: a completion that sends blocks the receive loop until its send returns', async () => {
    let followUpDispatched = NaN;
    const records = await withClient('lockstep', async (c) => {
      const all: Promise<unknown>[] = [];
      // Two reads go out first; A's completion sends a follow-up write, which waits at the gate behind 8 MiB.
      const followUp = new Promise<void>((resolve, reject) => {
        all.push(
          call<Buffer>((done) =>
            c.read(0, 1000, (err, data) => {
              done(err, data);
              c.write(100 * 4096, Buffer.alloc(3000), (e) => (e ? reject(e) : resolve()));
            }),
          ),
        );
      });
      all.push(call<Buffer>((done) => c.read(4096, 2000, done)));
      for (let i = 0; i < 8; i++) all.push(call<void>((done) => c.write(i * MiB, Buffer.alloc(MiB), done)));
      all.push(followUp);
      await Promise.all(all);
    });
    const readB = records.find((r) => r.op === 'read' && r.length === 2000)!;
    const follow = records.find((r) => r.op === 'write' && r.length === 3000)!;
    followUpDispatched = follow.times.dispatched;
    for (const w of records.filter((r) => r.op === 'write' && r.length === MiB)) expect(followUpDispatched).to.be.at.least(w.times.dispatched);
    // B's reply came right after A's, but it is parsed only once the follow-up send has returned.
    expect(readB.times.replied).to.be.at.least(followUpDispatched);
  });

  it('sendqueue, same sequence: the receive loop does not wait for the follow-up send', async () => {
    const records = await withClient('sendqueue', async (c) => {
      const all: Promise<unknown>[] = [];
      all.push(call<Buffer>((done) => c.read(0, 1000, (err, data) => {
        done(err, data);
        all.push(call<void>((d) => c.write(100 * 4096, Buffer.alloc(3000), d)));
      })));
      all.push(call<Buffer>((done) => c.read(4096, 2000, done)));
      for (let i = 0; i < 8; i++) all.push(call<void>((done) => c.write(i * MiB, Buffer.alloc(MiB), done)));
      await Promise.all(all);
      await Promise.all(all); // includes the follow-up pushed meanwhile
    });
    const readB = records.find((r) => r.op === 'read' && r.length === 2000)!;
    const follow = records.find((r) => r.op === 'write' && r.length === 3000)!;
    expect(readB.times.completed).to.be.below(follow.times.dispatched);
  });
});
