import { expect } from 'chai';
import * as net from 'node:net';
import type { Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { VirtualTimeScheduler, type Subscription } from 'rxjs';
import sinon from 'sinon';
import { connect, type ConnectOptions } from '../../streams/connect.js';
import { socketSource } from '../../streams/socketSource.js';
import { closeServer, listen, RECEIVE_MODES, tcpHandles, waitFor } from './loopback.js';

interface Outcome {
  socket?: Socket;
  error?: Error & { code?: string; cause?: unknown };
  completed: boolean;
  lease: Subscription;
}

/** Subscribes and resolves at the first notification, keeping the subscription open. */
function subscribeConnect(options: ConnectOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { completed: false, lease: undefined as unknown as Subscription };
    outcome.lease = connect(options).subscribe({
      next: (socket) => {
        outcome.socket = socket;
        resolve(outcome);
      },
      error: (error) => {
        outcome.error = error;
        resolve(outcome);
      },
      complete: () => (outcome.completed = true),
    });
  });
}

/**
 * A listener on 127.0.0.1 that never accepts: it runs in a worker whose event
 * loop is blocked, so the kernel's accept queue (backlog 1) fills up and
 * later SYNs are dropped; a connect then hangs, as to an unreachable host.
 */
async function startNonAcceptingServer(): Promise<{ port: number; stop(): Promise<void> }> {
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const server = require('node:net').createServer();
     server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
       parentPort.postMessage(server.address().port);
       Atomics.wait(workerData, 0, 0);
       server.close();
     });`,
    { eval: true, workerData: gate },
  );
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    port,
    async stop() {
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
      await worker.terminate();
    },
  };
}

describe('connect', () => {
  let server: net.Server;
  let port: number;
  let peers: Socket[];
  let leases: Subscription[];

  beforeEach(async () => {
    peers = [];
    leases = [];
    server = net.createServer((peer) => {
      peer.on('error', () => {});
      peers.push(peer);
    });
    port = await listen(server);
  });

  afterEach(async () => {
    sinon.restore();
    for (const lease of leases) lease.unsubscribe();
    for (const peer of peers) peer.destroy();
    await closeServer(server);
  });

  async function open(options: Partial<ConnectOptions> = {}): Promise<Outcome> {
    const outcome = await subscribeConnect({ host: '127.0.0.1', port, ...options });
    leases.push(outcome.lease);
    return outcome;
  }

  it('emits the connected socket once, paused, and does not complete while it is open', async () => {
    const outcome = await open();
    const socket = outcome.socket!;
    expect(socket.readyState).to.equal('open');
    expect(socket.remotePort).to.equal(port);
    expect(socket.isPaused()).to.equal(true);
    await sleep(20);
    expect(outcome.completed).to.equal(false);
    expect(outcome.error).to.equal(undefined);
  });

  it('sets TCP_NODELAY by default and honours noDelay: false', async () => {
    const setNoDelay = sinon.spy(net.Socket.prototype, 'setNoDelay');
    const withDelay = await open({ noDelay: false });
    const noDelay = await open();
    expect(setNoDelay.calledOn(noDelay.socket!)).to.equal(true);
    expect(setNoDelay.withArgs(true).calledOn(noDelay.socket!)).to.equal(true);
    expect(setNoDelay.withArgs(false).calledOn(withDelay.socket!)).to.equal(true);
    expect(setNoDelay.withArgs(true).calledOn(withDelay.socket!)).to.equal(false);
  });

  it('completes when the socket closes', async () => {
    const outcome = await open();
    await waitFor(() => peers.length === 1, 'the server side');
    // A paused socket learns of the close by reading: a source reads.
    const source = socketSource(outcome.socket!).subscribe();
    peers[0]!.destroy();
    await waitFor(() => outcome.completed, 'completion');
    expect(outcome.error).to.equal(undefined);
    source.unsubscribe();
  });

  it('destroys the socket on unsubscribe', async () => {
    const before = tcpHandles();
    const outcome = await open();
    expect(tcpHandles()).to.be.above(before);
    await waitFor(() => peers.length === 1, 'the server side');
    const peerClosed = new Promise((resolve) => peers[0]!.once('close', resolve));
    peers[0]!.resume(); // the FIN is seen by reading
    outcome.lease.unsubscribe();
    expect(outcome.socket!.destroyed).to.equal(true);
    await peerClosed;
    await waitFor(() => tcpHandles() === before, 'handles released');
    expect(outcome.completed).to.equal(false);
  });

  for (const mode of RECEIVE_MODES) {
    it(`reads nothing before a source subscribes, then loses nothing (${mode.name})`, async () => {
      const payload = Buffer.alloc(200_000, 7);
      server.once('connection', (peer) => peer.write(payload));
      const socket = (await open({ receiveBufferBytes: mode.receiveBufferBytes })).socket!;
      await sleep(50);
      expect(socket.bytesRead).to.equal(0);
      let received = 0;
      const source = socketSource(socket).subscribe((chunk) => (received += chunk.length));
      await waitFor(() => received === payload.length, 'every byte');
      source.unsubscribe();
    });
  }

  it('errors with a coded error when the port refuses', async () => {
    const refusing = net.createServer();
    const refusedPort = await listen(refusing);
    await closeServer(refusing);
    const outcome = await subscribeConnect({ host: '127.0.0.1', port: refusedPort });
    expect(outcome.error?.code).to.equal('RXB_CONNECTION_CLOSED');
    expect((outcome.error?.cause as NodeJS.ErrnoException).code).to.equal('ECONNREFUSED');
  });

  it('errors with ConnectTimeoutError when the connection is never accepted', async () => {
    const silent = await startNonAcceptingServer();
    const fillers: Outcome[] = [];
    try {
      let outcome: Outcome | undefined;
      // The first connections fill the accept queue; the next one hangs and times out.
      for (let i = 0; i < 8; i++) {
        outcome = await subscribeConnect({ host: '127.0.0.1', port: silent.port, timeoutMs: 150 });
        fillers.push(outcome);
        if (outcome.error) break;
      }
      expect(outcome!.error?.code).to.equal('RXB_CONNECT_TIMEOUT');
      expect(outcome!.error?.name).to.equal('ConnectTimeoutError');
      expect(fillers.length).to.be.within(2, 4);
    } finally {
      for (const f of fillers) f.lease.unsubscribe();
      await silent.stop();
    }
  });

  it('times out on the given scheduler', () => {
    const scheduler = new VirtualTimeScheduler();
    let error: { code?: string } | undefined;
    const lease = connect({ host: '127.0.0.1', port, timeoutMs: 1000, scheduler }).subscribe({ error: (e) => (error = e) });
    scheduler.flush(); // virtual time passes before the real connection completes
    expect(error?.code).to.equal('RXB_CONNECT_TIMEOUT');
    expect(lease.closed).to.equal(true);
  });

  it('cancels the timeout once connected', async () => {
    const scheduler = new VirtualTimeScheduler();
    const outcome = await open({ timeoutMs: 1000, scheduler });
    scheduler.flush();
    expect(outcome.error).to.equal(undefined);
    expect(outcome.socket!.destroyed).to.equal(false);
  });

  it('connects to a unix socket path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxbridge-'));
    const path = join(dir, 'sock');
    const unixServer = net.createServer((peer) => peer.end('hello'));
    await new Promise<void>((resolve) => unixServer.listen(path, resolve));
    try {
      const outcome = await subscribeConnect({ path });
      leases.push(outcome.lease);
      const chunks: string[] = [];
      await new Promise<void>((resolve, reject) =>
        socketSource(outcome.socket!).subscribe({ next: (c) => chunks.push(c.toString()), error: reject, complete: resolve }),
      );
      expect(chunks.join('')).to.equal('hello');
      outcome.lease.unsubscribe();
    } finally {
      await closeServer(unixServer);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects options without a port or path, or with a bad port', async () => {
    expect((await subscribeConnect({ host: '127.0.0.1' })).error?.code).to.equal('RXB_INVALID_ARGUMENT');
    expect((await subscribeConnect({ host: '127.0.0.1', port: 70_000 })).error?.code).to.equal('RXB_INVALID_ARGUMENT');
  });
});
