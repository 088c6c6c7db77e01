import { expect } from 'chai';
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Subject } from 'rxjs';
import type { Batch } from '../../src/core/codec.js';
import { endSocket } from '../../streams/endSocket.js';
import { socketSink, type Written } from '../../streams/socketSink.js';
import { OddStream, openLoopback, settle, waitFor, type Loopback } from './loopback.js';

const KiB = 1024;
const MiB = 1024 * KiB;

function batchOf(buffers: Buffer[]): Batch {
  const bytes = buffers.reduce((sum, b) => sum + b.length, 0);
  return { buffers, bytes, units: [{ lane: 'data', buffers, bytes }] };
}

/** Batches of three odd-sized slices each, `total` bytes in all. */
function batchesOf(stream: OddStream): Batch[] {
  const batches: Batch[] = [];
  for (;;) {
    const buffers = [stream.next(), stream.next(), stream.next()].filter((b): b is Buffer => b !== undefined);
    if (buffers.length === 0) return batches;
    batches.push(batchOf(buffers));
  }
}

interface Run {
  written: Written<Batch>[];
  ready: boolean[];
  error?: { code?: string; name?: string };
  completed: boolean;
}

function run(socket: Socket, source: Subject<Batch>, options: Parameters<typeof socketSink>[1] = {}) {
  const r: Run = { written: [], ready: [], completed: false };
  const subscription = source.pipe(socketSink<Batch>(socket, { ready: { next: (v) => r.ready.push(v) }, ...options })).subscribe({
    next: (w) => r.written.push(w),
    error: (e) => (r.error = e),
    complete: () => (r.completed = true),
  });
  return { r, subscription };
}

/** Hashes everything the peer reads. */
function hashReads(peer: Socket) {
  const hash = createHash('sha256');
  const seen = { bytes: 0 };
  peer.on('data', (chunk: Buffer) => {
    seen.bytes += chunk.length;
    hash.update(chunk);
  });
  return { hash, seen };
}

describe('socketSink', () => {
  let lo: Loopback;

  afterEach(async () => {
    await lo.close();
  });

  describe('with a peer that reads', () => {
    beforeEach(async () => {
      lo = await openLoopback();
    });

    it('writes a batch with one writev of its buffers, by reference', () => {
      const writev: Buffer[][] = [];
      let writes = 0;
      const client = lo.client as Socket & {
        _writev(chunks: { chunk: Buffer }[], cb: () => void): void;
        _write(chunk: Buffer, encoding: string, cb: () => void): void;
      };
      const originalWritev = client._writev;
      const originalWrite = client._write;
      client._writev = function (chunks, cb) {
        writev.push(chunks.map((c) => c.chunk));
        return originalWritev.call(this, chunks, cb);
      };
      client._write = function (chunk, encoding, cb) {
        writes++;
        return originalWrite.call(this, chunk, encoding, cb);
      };
      const source = new Subject<Batch>();
      const { subscription } = run(lo.client, source);
      const buffers = [Buffer.from('head'), Buffer.alloc(100 * KiB, 1), Buffer.from('x'), Buffer.alloc(3000, 2), Buffer.from('tail')];
      source.next(batchOf(buffers));
      expect(writev).to.have.length(1);
      expect(writes).to.equal(0);
      expect(writev[0]).to.have.length(buffers.length);
      writev[0]!.forEach((chunk, i) => expect(chunk).to.equal(buffers[i])); // the same objects: nothing copied
      source.next(batchOf([Buffer.from('alone')]));
      expect(writev).to.have.length(1);
      expect(writes).to.equal(1);
      subscription.unsubscribe();
    });

    it('emits one Written per batch, in order, and completes once all are handed over, leaving the socket open', async () => {
      const { hash, seen } = hashReads(lo.peer);
      const stream = new OddStream(8 * MiB);
      const batches = batchesOf(stream);
      batches.splice(2, 0, batchOf([])); // an empty batch is written (and reported) too
      const source = new Subject<Batch>();
      const { r } = run(lo.client, source);
      for (const b of batches) source.next(b);
      source.complete();
      await waitFor(() => r.completed, 'completion');
      expect(r.written.map((w) => w.batch)).to.deep.equal(batches);
      r.written.forEach((w, i) => expect(w.batch).to.equal(batches[i]));
      for (let i = 1; i < r.written.length; i++) expect(r.written[i]!.handedAt).to.be.at.least(r.written[i - 1]!.handedAt);
      expect(lo.client.writableEnded).to.equal(false);
      await waitFor(() => seen.bytes === stream.total, 'the peer to read everything');
      expect(hash.digest('hex')).to.equal(stream.hash.digest('hex'));
    });

    it('removes its listeners on unsubscribe', () => {
      const counts = () => ['drain', 'error', 'close'].map((e) => lo.client.listenerCount(e));
      const before = counts();
      const source = new Subject<Batch>();
      const { subscription } = run(lo.client, source);
      expect(counts()).to.not.deep.equal(before);
      subscription.unsubscribe();
      expect(counts()).to.deep.equal(before);
      expect(source.observed).to.equal(false);
    });
  });

  describe('with a peer that stops reading', () => {
    beforeEach(async () => {
      lo = await openLoopback({ pauseOnConnect: true });
    });

    it('reports ready=false, holds the backlog in user space, then delivers everything in order', async () => {
      const { hash, seen } = hashReads(lo.peer); // attached while paused: reads nothing yet
      const stream = new OddStream(24 * MiB);
      const batches = batchesOf(stream);
      const largestBatch = Math.max(...batches.map((b) => b.bytes));
      const source = new Subject<Batch>();
      const { r } = run(lo.client, source, { lowWaterMark: 64 * KiB });
      for (const b of batches) source.next(b); // upstream ignores `ready` here, within maxQueuedBytes
      source.complete();
      await settle(() => r.written.length);

      expect(r.ready).to.deep.equal([false]);
      expect(r.written.length).to.be.above(0).and.below(batches.length);
      // The socket (kernel-bound) queue stays shallow; the rest waits in the sink.
      expect(lo.client.writableLength).to.be.at.most(64 * KiB + largestBatch);
      expect(r.completed).to.equal(false);

      lo.peer.resume();
      await waitFor(() => r.completed, 'completion');
      expect(r.error).to.equal(undefined);
      r.written.forEach((w, i) => expect(w.batch).to.equal(batches[i]));
      expect(r.written).to.have.length(batches.length);
      expect(r.ready.at(-1)).to.equal(true);
      r.ready.forEach((v, i) => expect(v).to.equal(i % 2 === 1)); // changes only: false, true, false, ...
      await waitFor(() => seen.bytes === stream.total, 'the peer to read everything');
      expect(hash.digest('hex')).to.equal(stream.hash.digest('hex'));
    });

    it('tells onWrite the bytes of each writev and whether the kernel took them whole', async () => {
      const writes: [number, boolean][] = [];
      const batches = Array.from({ length: 64 }, (_, i) => batchOf([Buffer.alloc(256 * KiB, i)]));
      const source = new Subject<Batch>();
      const { r } = run(lo.client, source, { onWrite: (bytes, whole) => writes.push([bytes, whole]) });
      for (const b of batches) source.next(b);
      source.complete();
      await settle(() => r.written.length);
      // The kernel takes the first writes whole; once its queue is full, a write leaves bytes waiting.
      expect(writes[0]).to.deep.equal([256 * KiB, true]);
      expect(writes.some(([, whole]) => !whole)).to.equal(true);
      lo.peer.resume();
      await waitFor(() => r.completed, 'completion');
      // Held batches go out in later writevs, reported too: every byte once.
      expect(writes.reduce((sum, [bytes]) => sum + bytes, 0)).to.equal(64 * 256 * KiB);
    });

    it('errors with QueueFullError when upstream overfills its queue', async () => {
      const batches = batchesOf(new OddStream(24 * MiB));
      const source = new Subject<Batch>();
      const { r } = run(lo.client, source, { maxQueuedBytes: 2 * MiB });
      for (const b of batches) source.next(b);
      expect(r.error?.code).to.equal('RXB_QUEUE_FULL');
      expect(source.observed).to.equal(false);
    });

    it('errors with a coded error when the peer resets the connection', async () => {
      const batches = batchesOf(new OddStream(24 * MiB));
      const source = new Subject<Batch>();
      const { r } = run(lo.client, source);
      for (const b of batches) source.next(b);
      await settle(() => r.written.length);
      lo.peer.resetAndDestroy();
      await waitFor(() => r.error !== undefined, 'the error');
      expect(r.error!.code).to.equal('RXB_CONNECTION_CLOSED');
    });

    it('errors with RXB_CONNECTION_CLOSED when the socket is destroyed with writes pending', async () => {
      const batches = batchesOf(new OddStream(24 * MiB));
      const source = new Subject<Batch>();
      const { r } = run(lo.client, source);
      for (const b of batches) source.next(b);
      await settle(() => r.written.length);
      lo.client.destroy();
      await waitFor(() => r.error !== undefined, 'the error');
      expect(r.error!.code).to.equal('RXB_CONNECTION_CLOSED');
    });
  });

  describe('endSocket', () => {
    beforeEach(async () => {
      lo = await openLoopback();
    });

    it('ends the socket and emits once it has closed, reading what the peer still sends', async () => {
      lo.peer.write(Buffer.alloc(300 * KiB)); // unread by anyone: endSocket discards it to see the FIN
      await sleep(10);
      const events: string[] = [];
      await new Promise<void>((resolve, reject) =>
        endSocket(lo.client).subscribe({ next: () => events.push('next'), error: reject, complete: resolve }),
      );
      expect(events).to.deep.equal(['next']);
      expect(lo.client.destroyed).to.equal(true);
      let again = 0;
      endSocket(lo.client).subscribe({ next: () => again++ });
      expect(again).to.equal(1);
    });
  });
});
