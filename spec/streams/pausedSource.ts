/**
 * The back-pressure scenario both the plain and the TLS loopback specs run:
 * a peer writes 24 MiB in odd-sized pieces, downstream signals `paused$`
 * after 1 MiB, the source must stop reading (the peer's writes back up and
 * nothing is emitted), then deliver every byte once resumed.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import type net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { BehaviorSubject } from 'rxjs';
import { socketSource } from '../../streams/socketSource.js';
import { OddStream, settle, waitFor } from './loopback.js';

const MiB = 1024 * 1024;

export async function expectPauseToPushBack(client: net.Socket, peer: net.Socket): Promise<void> {
  const stream = new OddStream(24 * MiB);
  const paused$ = new BehaviorSubject(false);
  const received = createHash('sha256');
  let bytes = 0;
  let emittedWhilePaused = 0;
  const done = new Promise<void>((resolve, reject) =>
    socketSource(client, { paused$ }).subscribe({
      next: (chunk) => {
        if (paused$.value) emittedWhilePaused++;
        bytes += chunk.length;
        received.update(chunk);
        if (bytes >= MiB && bytes - chunk.length < MiB) paused$.next(true); // downstream falls behind
      },
      error: reject,
      complete: resolve,
    }),
  );
  const writing = stream.writeTo(peer);
  await waitFor(() => paused$.value, 'the pause');
  const pausedAt = await settle(() => peer.writableLength);
  expect(bytes).to.be.below(2 * MiB);
  expect(peer.writableLength).to.equal(pausedAt);
  expect(peer.writableNeedDrain).to.equal(true); // the peer's write returned false
  expect(peer.writableLength).to.be.above(0);
  const bytesWhilePaused = bytes;
  await sleep(30);
  expect(bytes).to.equal(bytesWhilePaused);

  paused$.next(false);
  await writing;
  await done;
  expect(emittedWhilePaused).to.equal(0);
  expect(bytes).to.equal(stream.total);
  expect(received.digest('hex')).to.equal(stream.hash.digest('hex'));
}
