import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, filter, take, toArray } from 'rxjs';
import { kernelBytes, sampleSocketStats, type SsEvent } from '../../src/lab/ssSampler.js';
import { parseSsOutput } from '../../src/lab/ssParser.js';
import { SS_IN_FLIGHT, SS_IN_FLIGHT_PORTS } from './ssFixtures.js';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sampleSocketStats', () => {
  it('sees both ends of a loopback connection and where the bytes sit when the peer stops reading', async () => {
    const accepted: net.Socket[] = [];
    const server = net.createServer((s) => {
      s.pause(); // a device that stops reading
      accepted.push(s);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const client = net.connect(port, '127.0.0.1');
    try {
      await new Promise<void>((r) => client.once('connect', r));
      client.write(Buffer.alloc(8 << 20));
      await delay(100);
      const e = await firstValueFrom(sampleSocketStats({ port, intervalMs: 50 }));
      expect(e.type).to.equal('sample');
      const sample = e as Extract<SsEvent, { type: 'sample' }>;
      expect(sample.sockets).to.have.length(2);
      const k = kernelBytes(sample.sockets, port);
      expect(k.deviceVisible).to.equal(true);
      expect(k.sendQ).to.be.greaterThan(0);
      expect(k.deviceRecvQ).to.be.greaterThan(0);
      expect(k.sendQ).to.equal(k.unacked + k.notsent);
    } finally {
      client.destroy();
      for (const s of accepted) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('samples repeatedly, with increasing times', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const events = await firstValueFrom(sampleSocketStats({ port, intervalMs: 20 }).pipe(take(3), toArray()));
      expect(events.map((e) => e.type)).to.deep.equal(['sample', 'sample', 'sample']);
      const times = events.map((e) => (e as Extract<SsEvent, { type: 'sample' }>).timeMs);
      expect(times[1]).to.be.greaterThan(times[0]!);
      expect(times[2]).to.be.greaterThan(times[1]!);
      // Only the listening socket exists: 'state connected' leaves it out.
      expect((events[0] as Extract<SsEvent, { type: 'sample' }>).sockets).to.deep.equal([]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('emits one unavailable notice and completes when ss is missing', async () => {
    const events = await firstValueFrom(sampleSocketStats({ port: 1, intervalMs: 10, command: ['/nonexistent/ss-missing'] }).pipe(toArray()));
    expect(events).to.have.length(1);
    expect(events[0]!.type).to.equal('unavailable');
    expect((events[0] as { reason: string }).reason).to.match(/not found/);
  });

  it('emits unavailable when ss refuses the query', async () => {
    const events = await firstValueFrom(sampleSocketStats({ port: 1, command: ['sh', '-c', 'echo bad filter >&2; exit 1'] }).pipe(toArray()));
    expect(events).to.deep.equal([{ type: 'unavailable', reason: 'sh exited with 1: bad filter' }]);
  });

  it('kills a running ss on unsubscribe', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ss-sampler-'));
    const pidFile = join(dir, 'pid');
    try {
      const sub = sampleSocketStats({ port: 1, intervalMs: 10_000, command: ['sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`] }).subscribe();
      for (let i = 0; i < 100 && !existsSync(pidFile); i++) await delay(10);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      expect(() => process.kill(pid, 0)).not.to.throw();
      sub.unsubscribe();
      let alive = true;
      for (let i = 0; i < 100 && alive; i++) {
        await delay(10);
        try {
          process.kill(pid, 0);
        } catch {
          alive = false;
        }
      }
      expect(alive).to.equal(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('kernelBytes', () => {
  it('sums the client side (peer port = device port) and the device side (local port = device port)', () => {
    const k = kernelBytes(parseSsOutput(SS_IN_FLIGHT), SS_IN_FLIGHT_PORTS.device);
    expect(k).to.deep.equal({ sendQ: 4190912, unacked: 327415, notsent: 3863497, clientRecvQ: 0, deviceRecvQ: 729826, deviceSendQ: 0, retrans: 0, rtoMs: 204, rttMs: 0.112, cwnd: 16, deviceVisible: true });
  });

  it('reports the device side as invisible for a remote device', () => {
    const client = parseSsOutput(SS_IN_FLIGHT).filter((s) => s.localPort === SS_IN_FLIGHT_PORTS.client);
    expect(kernelBytes(client, SS_IN_FLIGHT_PORTS.device).deviceVisible).to.equal(false);
  });
});
