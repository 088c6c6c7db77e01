import { expect } from 'chai';
import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { BehaviorSubject, Subject, Subscription, take } from 'rxjs';
import type { Batch } from '../../src/core/codec.js';
import { acceptTls } from '../../streams/acceptTls.js';
import { endSocket } from '../../streams/endSocket.js';
import { socketSink, type Written } from '../../streams/socketSink.js';
import { socketSource } from '../../streams/socketSource.js';
import { expectPauseToPushBack } from './pausedSource.js';
import { upgradeTls } from '../../streams/upgradeTls.js';
import { makeTestCertificates } from '../helpers/testCertificates.js';
import { OddStream, RECEIVE_MODES, openLoopback, settle, tcpHandles, waitFor } from './loopback.js';
import { openTlsLoopback, testCertificates, upgraded, type TlsLoopback } from './tlsLoopback.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Reads everything until the end, hashing it. */
function drain(socket: TLSSocket, paused$?: BehaviorSubject<boolean>) {
  const hash = createHash('sha256');
  const seen = { bytes: 0 };
  const done = new Promise<void>((resolve, reject) =>
    socketSource(socket, { paused$ }).subscribe({
      next: (chunk) => {
        seen.bytes += chunk.length;
        hash.update(chunk);
      },
      error: reject,
      complete: resolve,
    }),
  );
  return { hash, seen, done };
}

function batchOf(buffers: Buffer[]): Batch {
  const bytes = buffers.reduce((sum, b) => sum + b.length, 0);
  return { buffers, bytes, units: [{ lane: 'data', buffers, bytes }] };
}

describe('upgradeTls and acceptTls', function () {
  this.timeout(20_000);

  for (const mode of RECEIVE_MODES) {
    it(`upgrade after a plaintext exchange read by socketSource, then carry 16 MiB each way (${mode.name})`, async () => {
      const plain = await openLoopback({ receiveBufferBytes: mode.receiveBufferBytes });
      const leases = new Subscription();
      try {
        // The STARTTLS pattern: a reply read in plaintext by a first reader, which then leaves.
        plain.peer.write('ACK!');
        const ack = await new Promise<string>((resolve, reject) =>
          socketSource(plain.client).pipe(take(1)).subscribe({ next: (c) => resolve(c.toString()), error: reject }),
        );
        expect(ack).to.equal('ACK!');
        const certs = testCertificates();
        const [client, peer] = await Promise.all([
          upgraded(upgradeTls(plain.client, { ca: certs.ca, host: '127.0.0.1' }), leases),
          upgraded(acceptTls(plain.peer, { key: certs.server.key, cert: certs.server.cert }), leases),
        ]);
        expect(client.authorized).to.equal(true);
        expect(client.getProtocol()).to.match(/^TLSv1\.[23]$/);

        const up = new OddStream(16 * MiB);
        const down = new OddStream(16 * MiB);
        const atPeer = drain(peer);
        const atClient = drain(client);
        await Promise.all([up.writeTo(client), down.writeTo(peer)]);
        await Promise.all([atPeer.done, atClient.done]);
        expect(atPeer.hash.digest('hex')).to.equal(up.hash.digest('hex'));
        expect(atClient.hash.digest('hex')).to.equal(down.hash.digest('hex'));
      } finally {
        leases.unsubscribe();
        await plain.close();
      }
    });
  }

  describe('over an upgraded connection', () => {
    let lo: TlsLoopback;

    beforeEach(async () => {
      lo = await openTlsLoopback();
    });

    afterEach(async () => {
      await lo.close();
    });

    it('socketSource pushes back on the TLS peer while paused$ is true, and loses nothing on resume', async () => {
      await expectPauseToPushBack(lo.client, lo.peer);
    });

    it('socketSink writes a batch as one writev on the TLS socket (cork/uncork), by reference', async () => {
      const writev: Buffer[][] = [];
      const client = lo.client as TLSSocket & { _writev(chunks: { chunk: Buffer }[], cb: () => void): void };
      const original = client._writev;
      client._writev = function (chunks, cb) {
        writev.push(chunks.map((c) => c.chunk));
        return original.call(this, chunks, cb);
      };
      const atPeer = drain(lo.peer);
      const source = new Subject<Batch>();
      const written: Written<Batch>[] = [];
      const subscription = source.pipe(socketSink<Batch>(lo.client)).subscribe((w) => written.push(w));
      const buffers = [Buffer.from('head'), Buffer.alloc(100 * KiB, 1), Buffer.from('x'), Buffer.alloc(3000, 2), Buffer.from('tail')];
      source.next(batchOf(buffers));
      expect(writev).to.have.length(1);
      writev[0]!.forEach((chunk, i) => expect(chunk).to.equal(buffers[i]));
      await waitFor(() => written.length === 1 && atPeer.seen.bytes === 100 * KiB + 3009, 'the batch to arrive');
      subscription.unsubscribe();
    });

    it('socketSink holds its backlog while the TLS peer does not read, then delivers everything in order', async () => {
      lo.peer.pause();
      const stream = new OddStream(24 * MiB);
      const batches: Batch[] = [];
      for (let s = stream.next(); s; s = stream.next()) batches.push(batchOf([s]));
      const ready: boolean[] = [];
      const written: Written<Batch>[] = [];
      let completed = false;
      const source = new Subject<Batch>();
      source.pipe(socketSink<Batch>(lo.client, { ready: { next: (v) => ready.push(v) } })).subscribe({
        next: (w) => written.push(w),
        complete: () => (completed = true),
      });
      for (const b of batches) source.next(b);
      source.complete();
      await settle(() => written.length);
      expect(ready).to.deep.equal([false]);
      expect(written.length).to.be.below(batches.length);
      const atPeer = drain(lo.peer); // resumes the peer
      await waitFor(() => completed, 'completion');
      written.forEach((w, i) => expect(w.batch).to.equal(batches[i]));
      await waitFor(() => atPeer.seen.bytes === stream.total, 'the peer to read everything');
      expect(atPeer.hash.digest('hex')).to.equal(stream.hash.digest('hex'));
    });

    it('endSocket ends a TLS socket politely: the peer sees the end, both close', async () => {
      const atPeer = drain(lo.peer);
      lo.client.write('bye');
      await new Promise<void>((resolve, reject) => endSocket(lo.client).subscribe({ error: reject, complete: resolve }));
      await atPeer.done;
      expect(atPeer.seen.bytes).to.equal(3);
      expect(lo.client.destroyed).to.equal(true);
      await waitFor(() => lo.plain.client.destroyed, 'the plain socket to close');
    });
  });

  describe('failures', () => {
    it('errors with RXB_TLS when the server certificate does not chain to the CA', async () => {
      const other = makeTestCertificates('another CA');
      const err = await openTlsLoopback({ client: { ca: other.ca } }).then(() => undefined, (e) => e);
      expect(err).to.include({ code: 'RXB_TLS', reason: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    });

    it('errors with RXB_TLS when the certificate names another host', async () => {
      const err = await openTlsLoopback({ client: { host: 'example.com', servername: 'example.com' } }).then(() => undefined, (e) => e);
      expect(err).to.include({ code: 'RXB_TLS', reason: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    });

    it('takes an unverified certificate with rejectUnauthorized: false', async () => {
      const other = makeTestCertificates('another CA');
      const lo = await openTlsLoopback({ client: { ca: other.ca, rejectUnauthorized: false } });
      expect(lo.client.authorized).to.equal(false);
      await lo.close();
    });

    it('refuses a client without a certificate, or with one from another CA, when the server asks for one', async () => {
      const certs = testCertificates();
      const server = { ca: certs.ca, requestCert: true };
      const good = await openTlsLoopback({ server, client: { cert: certs.client.cert, key: certs.client.key } });
      expect(good.peer.authorized).to.equal(true);
      await good.close();

      const other = makeTestCertificates('another CA');
      for (const client of [{}, { cert: other.client.cert, key: other.client.key }]) {
        const plain = await openLoopback();
        const leases = new Subscription();
        const serverErr = await new Promise<unknown>((resolve) => {
          leases.add(acceptTls(plain.peer, { key: certs.server.key, cert: certs.server.cert, ...server }).subscribe({ error: resolve }));
          leases.add(upgradeTls(plain.client, { ca: certs.ca, host: '127.0.0.1', ...client }).subscribe({ error: () => {} }));
        });
        expect(serverErr).to.have.property('code', 'RXB_TLS');
        leases.unsubscribe();
        await plain.close();
      }
    });

    it('acceptTls gives up on a client that never says hello, after handshakeTimeoutMs', async () => {
      const certs = testCertificates();
      const plain = await openLoopback();
      const started = Date.now();
      const err = await new Promise<unknown>((resolve) =>
        acceptTls(plain.peer, { key: certs.server.key, cert: certs.server.cert, handshakeTimeoutMs: 100 }).subscribe({ error: resolve }),
      );
      expect(err).to.include({ code: 'RXB_TLS', reason: 'ERR_TLS_HANDSHAKE_TIMEOUT' });
      expect(Date.now() - started).to.be.below(2000);
      expect(plain.peer.destroyed).to.equal(true);
      await plain.close();
    });

    it('refuses plaintext bytes that arrived after the agreement, before the TLS handshake (injection)', async () => {
      const plain = await openLoopback({ receiveBufferBytes: 0 });
      try {
        plain.peer.write('ACK!');
        await new Promise<void>((resolve) => socketSource(plain.client).pipe(take(1)).subscribe(() => resolve()));
        plain.peer.write('INJECTED'); // read into the stream buffer while nobody reads
        await waitFor(() => plain.client.readableLength > 0, 'the bytes to be read');
        const err = await new Promise<unknown>((resolve) => upgradeTls(plain.client, { ca: testCertificates().ca }).subscribe({ error: resolve }));
        expect(err).to.have.property('code', 'RXB_TLS');
        expect((err as Error).message).to.match(/8 plaintext bytes/);
      } finally {
        await plain.close();
      }
    });

    it('refuses to upgrade a socket a socketSource still reads', async () => {
      const plain = await openLoopback();
      const reading = socketSource(plain.client).subscribe();
      let err: unknown;
      upgradeTls(plain.client, {}).subscribe({ error: (e) => (err = e) });
      acceptTls(plain.client, { key: '', cert: '' }).subscribe({ error: (e) => (err = [err, e]) });
      expect((err as { code: string }[]).map((e) => e.code)).to.deep.equal(['RXB_INVALID_ARGUMENT', 'RXB_INVALID_ARGUMENT']);
      reading.unsubscribe();
      await plain.close();
    });

    it('errors with RXB_TLS when the server closes during the handshake', async () => {
      const plain = await openLoopback();
      const leases = new Subscription();
      const err = upgraded(upgradeTls(plain.client, { ca: testCertificates().ca }), leases).then(() => undefined, (e) => e);
      plain.peer.destroy();
      expect(await err).to.have.property('code', 'RXB_TLS');
      leases.unsubscribe();
      await plain.close();
    });
  });

  it('unsubscribing destroys both TLS sockets and the plain ones, leaving no handle behind', async () => {
    const before = tcpHandles();
    const lo = await openTlsLoopback();
    await lo.close();
    expect(lo.client.destroyed).to.equal(true);
    expect(lo.peer.destroyed).to.equal(true);
    await waitFor(() => tcpHandles() === before, 'the handles to close');
  });
});

