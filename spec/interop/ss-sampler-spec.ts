import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, filter, take, toArray } from 'rxjs';
import { kernelBytes, sampleSocketStats, type SsEvent } from '../../src/lab/ssSampler.js';
import { parseSsOutput } from '../../src/lab/ssParser.js';
import { SS_IN_FLIGHT, SS_IN_FLIGHT_PORTS } from '../lab/ssFixtures.js';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

import { requireTool } from '../helpers/peers.js';

/** The sampler against the real `ss` (iproute2) on this machine's loopback. */
describe('sampleSocketStats with the real ss', () => {
  before(() => requireTool('ss'));

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

});
