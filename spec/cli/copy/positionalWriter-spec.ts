import { expect } from 'chai';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PositionalWriter } from '../../../src/cli/copy/positionalWriter.js';

const chunk = (i: number, size: number) => Buffer.alloc(size, i + 1);

describe('PositionalWriter', () => {
  let dir: string;
  let fd: number | undefined;
  const file = () => path.join(dir, 'out.img');

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rxbridge-writer-spec-'));
  });
  afterEach(() => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const expectChunks = (count: number, size: number) => {
    const bytes = readFileSync(file());
    expect(bytes.length).to.equal(count * size);
    for (let i = 0; i < count; i++) expect(bytes.subarray(i * size, (i + 1) * size).every((b) => b === i + 1), `chunk ${i}`).to.equal(true);
  };

  it('writes synchronously while writes are quick: each write is in the file when write() returns', async () => {
    fd = openSync(file(), 'w');
    const writer = new PositionalWriter(fd);
    const pending = [2, 0, 1].map((i) => writer.write(i * 1000, chunk(i, 1000)));
    expectChunks(3, 1000); // before awaiting anything
    await Promise.all(pending);
    expect(writer.mode).to.equal('sync');
    expect(writer.runs).to.equal(3);
  });

  it('goes through the threadpool once a synchronous write was slow, and stays there', async () => {
    fd = openSync(file(), 'w');
    // The clock as the writer reads it: before and after each synchronous write.
    const times = [0, 15, 100, 200];
    const writer = new PositionalWriter(fd, { syncUpToMs: 20, now: () => times.shift()! });
    await writer.write(0, chunk(0, 1000)); // took 15 ms: quick enough
    expect(writer.mode).to.equal('sync');
    await writer.write(1000, chunk(1, 1000)); // took 100 ms: slow
    expect(writer.mode).to.equal('threadpool');
    const third = writer.write(2000, chunk(2, 1000));
    expect(writer.busy).to.equal(true); // in flight in the threadpool, not written yet
    await third;
    expectChunks(3, 1000);
  });

  it('through the threadpool, merges the adjacent writes that wait into one pwritev', async () => {
    fd = openSync(file(), 'w');
    const writer = new PositionalWriter(fd, { syncUpToMs: 0 });
    // Eight chunks handed over out of order in one turn: the first goes out alone,
    // the seven that waited behind it are adjacent and go out as one run.
    const order = [0, 3, 7, 1, 6, 2, 5, 4];
    await Promise.all(order.map((i) => writer.write(i * 1000, chunk(i, 1000))));
    expect(writer.mode).to.equal('threadpool');
    expect(writer.runs).to.equal(2);
    expectChunks(8, 1000);
  });

  it('splits waiting writes at gaps and at maxRunBytes, and keeps at most maxInFlight runs going', async () => {
    fd = openSync(file(), 'w');
    const writer = new PositionalWriter(fd, { syncUpToMs: 0, maxInFlight: 2, maxRunBytes: 2000 });
    const first = writer.write(0, chunk(0, 1000));
    const second = writer.write(10_000, chunk(1, 1000));
    // Both runs in flight: these wait, then go as [2000, 4000) (capped at 2000 bytes), [4000, 5000) and [6000, 7000).
    const rest = [2, 3, 4, 6].map((i) => writer.write(i * 1000, chunk(i, 1000)));
    await Promise.all([first, second, ...rest]);
    expect(writer.runs).to.equal(5);
    expect(writer.busy).to.equal(false);
    const bytes = readFileSync(file());
    expect(bytes.length).to.equal(11_000);
    expect(bytes[2500]).to.equal(3);
    expect(bytes[3500]).to.equal(4);
    expect(bytes[5500]).to.equal(0);
  });

  for (const syncUpToMs of [20, 0]) {
    it(`fails with the first error, and every later write at once (${syncUpToMs ? 'sync' : 'threadpool'})`, async () => {
      await writeFile(file(), 'read only');
      fd = openSync(file(), 'r');
      const writer = new PositionalWriter(fd, { syncUpToMs });
      const results = await Promise.allSettled([writer.write(0, chunk(0, 10)), writer.write(100, chunk(1, 10))]);
      expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'rejected']);
      expect((results[0] as PromiseRejectedResult).reason.code).to.equal('EBADF');
      const later = await writer.write(200, chunk(2, 10)).catch((err: NodeJS.ErrnoException) => err);
      expect((later as NodeJS.ErrnoException).code).to.equal('EBADF');
    });
  }

  it('resolves an empty write at once', async () => {
    fd = openSync(file(), 'w');
    const writer = new PositionalWriter(fd);
    await writer.write(0, Buffer.alloc(0));
    expect(writer.runs).to.equal(0);
  });
});
