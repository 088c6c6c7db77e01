import { expect } from 'chai';
import { PassThrough, Readable } from 'node:stream';
import { MIN_ZERO_RUN, runCopy } from '../../../src/cli/copy/copyPump.js';
import type { CopyDestination, CopySource } from '../../../src/cli/copy/endpoints.js';
import { StreamDestination, StreamSource } from '../../../src/cli/copy/streamEndpoint.js';

/** A source of `size` bytes (byte i = i % 251) answering after a pseudo-random delay, so lanes finish out of order. */
class SlowSource implements CopySource {
  readonly name = 'slow';
  inFlight = 0;
  maxInFlight = 0;
  private turn = 0;
  constructor(readonly size: number, private readonly zeroFrom = Infinity, private readonly failAt = -1) {}
  async read(offset: number, length: number, buffer: Buffer): Promise<number> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((r) => setTimeout(r, (this.turn++ * 7) % 5));
    this.inFlight--;
    this.reads.push([offset, length]);
    if (offset === this.failAt) throw Object.assign(new Error('disk on fire'), { code: 'EIO' });
    for (let i = 0; i < length; i++) buffer[i] = (offset + i) % 251;
    return length;
  }
  reads: [number, number][] = [];
  async zerosWithin(offset: number, length: number): Promise<readonly number[]> {
    return offset + length <= this.zeroFrom ? [] : [Math.max(offset, this.zeroFrom), offset + length];
  }
  async close(): Promise<void> {}
  destroy(): void {}
}

class MemoryDestination implements CopyDestination {
  readonly name = 'memory';
  bytes = Buffer.alloc(0);
  zeroed: [number, number][] = [];
  async prepare(size: number | undefined): Promise<void> {
    this.bytes = Buffer.alloc(size ?? 0, 0xee);
  }
  async write(offset: number, data: Buffer): Promise<void> {
    // Strict, unlike Buffer#copy (which clips): a write past the end is a copier bug.
    if (offset + data.length > this.bytes.length) throw new Error(`write of ${data.length} bytes at ${offset} passes the end (${this.bytes.length})`);
    data.copy(this.bytes, offset);
  }
  async zero(offset: number, length: number): Promise<void> {
    this.zeroed.push([offset, length]);
    this.bytes.fill(0, offset, offset + length);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  destroy(): void {}
}

const expected = (size: number) => Buffer.from(Array.from({ length: size }, (_, i) => i % 251));

describe('runCopy', () => {
  it('copies every byte with at most `requests` reads in flight, the last chunk short', async () => {
    const source = new SlowSource(10 * 1000 + 17);
    const destination = new MemoryDestination();
    const progress: number[] = [];
    const result = await runCopy(source, destination, { requests: 4, requestSize: 1000, onProgress: (n) => progress.push(n) });
    expect(result).to.deep.equal({ bytes: 10_017, zeroBytes: 0 });
    expect(destination.bytes.equals(expected(10_017))).to.equal(true);
    expect(source.maxInFlight).to.equal(4);
    expect(progress).to.have.length(11);
    expect(progress.at(-1)).to.equal(10_017);
  });

  it('zeroes the chunks the source reads as zeros instead of reading them', async () => {
    const source = new SlowSource(8000, 5000);
    const destination = new MemoryDestination();
    const result = await runCopy(source, destination, { requests: 3, requestSize: 1000 });
    expect(result).to.deep.equal({ bytes: 8000, zeroBytes: 3000 });
    expect(destination.zeroed.sort((a, b) => a[0] - b[0])).to.deep.equal([[5000, 1000], [6000, 1000], [7000, 1000]]);
    expect(destination.bytes.subarray(0, 5000).equals(expected(5000))).to.equal(true);
    expect(destination.bytes.subarray(5000).every((b) => b === 0)).to.equal(true);
  });

  it('splits a chunk at its zero ranges: the data read and written, the zeros zeroed; short zero runs copied as data', async () => {
    const K = 256 * 1024;
    expect(MIN_ZERO_RUN).to.be.below(K - 40_000);
    // Zeros from 300,000: chunk 1 is data up to there and a long zero run after; chunk 2 is all zeros.
    const source = new SlowSource(3 * K, 300_000);
    const destination = new MemoryDestination();
    const result = await runCopy(source, destination, { requests: 2, requestSize: K });
    expect(result).to.deep.equal({ bytes: 3 * K, zeroBytes: 3 * K - 300_000 });
    expect(destination.zeroed.sort((a, b) => a[0] - b[0])).to.deep.equal([[300_000, 2 * K - 300_000], [2 * K, K]]);
    expect(source.reads.sort((a, b) => a[0] - b[0])).to.deep.equal([[0, K], [K, 300_000 - K]]);
    expect(destination.bytes.subarray(0, 300_000).equals(expected(300_000))).to.equal(true);
    expect(destination.bytes.subarray(300_000).every((b) => b === 0)).to.equal(true);

    // Zeros from 2K - 1000: too short a run in chunk 1 to be zeroed on its own, so chunk 1 is copied whole.
    const late = new SlowSource(3 * K, 2 * K - 1000);
    const dest2 = new MemoryDestination();
    await runCopy(late, dest2, { requests: 2, requestSize: K });
    expect(dest2.zeroed).to.deep.equal([[2 * K, K]]);
    expect(late.reads.sort((a, b) => a[0] - b[0])).to.deep.equal([[0, K], [K, K]]);
    expect(dest2.bytes.subarray(0, 2 * K - 1000).equals(expected(2 * K - 1000))).to.equal(true);
  });

  it('stops every lane after the first error and rejects with it', async () => {
    const source = new SlowSource(100_000, Infinity, 3000);
    const destination = new MemoryDestination();
    const err = await runCopy(source, destination, { requests: 4, requestSize: 1000 }).catch((e) => e);
    expect(err.code).to.equal('EIO');
    expect(source.inFlight).to.equal(0);
    // Lanes stop claiming chunks soon after the failure, far before the end.
    expect(destination.bytes.subarray(50_000).every((b) => b === 0xee)).to.equal(true);
  });

  it('reads a stream to its end, writing it in order to a stream whatever order lanes finish in', async () => {
    const data = expected(123_457);
    const pieces = Array.from({ length: 40 }, (_, i) => data.subarray(i * 3100, (i + 1) * 3100)).filter((b) => b.length > 0);
    const out = new PassThrough();
    const received: Buffer[] = [];
    out.on('data', (d: Buffer) => received.push(Buffer.from(d)));
    const destination = new StreamDestination('out', out);
    const result = await runCopy(new StreamSource('in', Readable.from(pieces)), destination, { requests: 5, requestSize: 4096 });
    await destination.close();
    expect(result.bytes).to.equal(data.length);
    expect(Buffer.concat(received).equals(data)).to.equal(true);
    expect(out.listenerCount('error')).to.equal(0);
  });

  it('an empty stream copies nothing', async () => {
    const destination = new MemoryDestination();
    const result = await runCopy(new StreamSource('in', Readable.from([])), destination, { requests: 3, requestSize: 100 });
    expect(result.bytes).to.equal(0);
  });

  it('a stream destination that fails rejects the copy with its error', async () => {
    const failing = new PassThrough({
      write(_chunk, _enc, cb) {
        cb(Object.assign(new Error('broken pipe'), { code: 'EPIPE' }));
      },
    });
    const err = await runCopy(new SlowSource(5000), new StreamDestination('out', failing), { requests: 2, requestSize: 1000 }).catch((e) => e);
    expect(err.code).to.equal('EPIPE');
  });
});
