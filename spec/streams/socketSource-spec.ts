import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { BehaviorSubject, Subject, take } from 'rxjs';
import { socketSource } from '../../streams/socketSource.js';
import { expectPauseToPushBack } from './pausedSource.js';
import { OddStream, openLoopback, RECEIVE_MODES, waitFor, type Loopback } from './loopback.js';

const MiB = 1024 * 1024;

/** Listener counts of the events socketSource may touch. */
function listenerCounts(lo: Loopback): number[] {
  return ['data', 'end', 'close', 'error'].map((event) => lo.client.listenerCount(event));
}

for (const mode of RECEIVE_MODES) {
  describe(`socketSource, ${mode.name}`, () => {
    let lo: Loopback;

    beforeEach(async () => {
      lo = await openLoopback({ receiveBufferBytes: mode.receiveBufferBytes });
    });

    afterEach(async () => {
      await lo.close();
    });

    it('emits every byte of a 64 MiB stream written in odd-sized chunks, then completes', async () => {
      const stream = new OddStream(64 * MiB);
      const received = createHash('sha256');
      let bytes = 0;
      const backingStores = new Set<ArrayBufferLike>();
      const done = new Promise<void>((resolve, reject) =>
        socketSource(lo.client).subscribe({
          next: (chunk) => {
            bytes += chunk.length;
            received.update(chunk);
            backingStores.add(chunk.buffer);
          },
          error: reject,
          complete: resolve,
        }),
      );
      await stream.writeTo(lo.peer);
      await done;
      expect(bytes).to.equal(stream.total);
      expect(received.digest('hex')).to.equal(stream.hash.digest('hex'));
      if (mode.receiveBufferBytes > 0) expect(backingStores.size).to.equal(1); // one reused buffer
      else expect(backingStores.size).to.be.above(1);
    });

    it('stops reading while paused$ is true, so the peer is pushed back, and resumes on false', async () => {
      await expectPauseToPushBack(lo.client, lo.peer);
    });

    it('reads nothing while paused$ starts true', async () => {
      const paused$ = new BehaviorSubject(true);
      let bytes = 0;
      const sub = socketSource(lo.client, { paused$ }).subscribe((chunk) => (bytes += chunk.length));
      lo.peer.write(Buffer.alloc(100_000));
      await sleep(50);
      expect(bytes).to.equal(0);
      expect(lo.client.bytesRead).to.equal(0);
      paused$.next(false);
      await waitFor(() => bytes === 100_000, 'the bytes');
      sub.unsubscribe();
    });

    it('loses no bytes between two successive subscriptions', async () => {
      const stream = new OddStream(16 * MiB);
      const received = createHash('sha256');
      let bytes = 0;
      const before = listenerCounts(lo);
      const writing = stream.writeTo(lo.peer);
      // The first reader (a handshake, say) stops after a few chunks; the peer goes on writing.
      await new Promise<void>((resolve, reject) =>
        socketSource(lo.client)
          .pipe(take(5))
          .subscribe({
            next: (chunk) => {
              bytes += chunk.length;
              received.update(chunk);
            },
            error: reject,
            complete: resolve,
          }),
      );
      expect(listenerCounts(lo)).to.deep.equal(before);
      await sleep(40);
      await new Promise<void>((resolve, reject) =>
        socketSource(lo.client).subscribe({
          next: (chunk) => {
            bytes += chunk.length;
            received.update(chunk);
          },
          error: reject,
          complete: resolve,
        }),
      );
      await writing;
      expect(bytes).to.equal(stream.total);
      expect(received.digest('hex')).to.equal(stream.hash.digest('hex'));
    });

    if (mode.receiveBufferBytes > 0) {
      it('keeps a read that slips through while nobody reads, and hands it to the next reader first', async () => {
        lo.client.resume(); // someone else restarts reading between two readers
        lo.peer.write(Buffer.from('early'));
        await waitFor(() => lo.client.bytesRead === 5, 'the read');
        lo.peer.write(Buffer.from(' late'));
        await sleep(20);
        expect(lo.client.bytesRead).to.equal(5); // the slipped read stopped reading again
        const chunks: string[] = [];
        const sub = socketSource(lo.client).subscribe((c) => chunks.push(c.toString()));
        await waitFor(() => chunks.join('') === 'early late', 'both writes, in order');
        sub.unsubscribe();
      });
    }

    it('errors with a coded error when the peer resets the connection', async () => {
      let bytes = 0;
      const failed = new Promise<{ code?: string }>((resolve) =>
        socketSource(lo.client).subscribe({ next: (c) => (bytes += c.length), error: resolve }),
      );
      lo.peer.write(Buffer.alloc(1000));
      await waitFor(() => bytes === 1000, 'the first bytes');
      lo.peer.resetAndDestroy();
      const error = await failed;
      expect(error.code).to.equal('RXB_CONNECTION_CLOSED');
    });

    it('removes every listener it added on unsubscribe', async () => {
      const before = listenerCounts(lo);
      const paused$ = new Subject<boolean>();
      const sub = socketSource(lo.client, { paused$ }).subscribe();
      expect(listenerCounts(lo)).to.not.deep.equal(before);
      expect(paused$.observed).to.equal(true);
      sub.unsubscribe();
      expect(listenerCounts(lo)).to.deep.equal(before);
      expect(paused$.observed).to.equal(false);
      expect(lo.client.isPaused()).to.equal(true);
    });

    it('refuses a second concurrent subscription', () => {
      const first = socketSource(lo.client).subscribe();
      let error: { code?: string } | undefined;
      socketSource(lo.client).subscribe({ error: (e) => (error = e) });
      expect(error?.code).to.equal('RXB_INVALID_ARGUMENT');
      first.unsubscribe();
      const again = socketSource(lo.client).subscribe({ error: (e) => (error = e) });
      expect(again.closed).to.equal(false);
      again.unsubscribe();
    });

    it('completes at once when subscribed after the end was read', async () => {
      const first = new Promise<void>((resolve) => socketSource(lo.client).subscribe({ complete: resolve }));
      lo.peer.end('bye');
      await first;
      let completed = false;
      socketSource(lo.client).subscribe({ complete: () => (completed = true) });
      expect(completed).to.equal(true);
    });
  });
}
