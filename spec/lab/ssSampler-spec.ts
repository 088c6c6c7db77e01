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
