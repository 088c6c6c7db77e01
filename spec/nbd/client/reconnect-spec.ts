import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { firstValueFrom, from, lastValueFrom, mergeMap, toArray, catchError, of, map } from 'rxjs';
import { connectNbd, type NbdClient } from '../../../src/nbd/client/index.js';
import type { NbdServerHandle } from '../../../src/nbd/server/index.js';
import { startServer } from '../server/rawClient.js';
import { mulberry32 } from '../../helpers/toyEngine.js';

const MiB = 1024 * 1024;
const done = <T>(o: import('rxjs').Observable<T>) => lastValueFrom(o, { defaultValue: undefined });

describe('NBD client reconnect', function () {
  this.timeout(60_000);
  let server: NbdServerHandle | undefined;
  let client: NbdClient | undefined;

  afterEach(async () => {
    client?.destroy();
    client = undefined;
    await server?.close();
    server = undefined;
  });

  it('loses nothing through a device that drops the connection every few megabytes', async () => {
    server = await startServer({
      exports: [{ name: '', size: 64 * MiB }],
      model: { base: 'unlimited', faults: { disconnectAfterBytes: 3 * MiB } },
    });
    client = await firstValueFrom(connectNbd(server.uri, { reconnect: { delayMs: 5, maxDelayMs: 50, giveUpAfterMs: 10_000 } }));
    const random = mulberry32(99);
    const blocks = Array.from({ length: 512 }, (_, i) => {
      const data = Buffer.alloc(64 * 1024);
      for (let j = 0; j < data.length; j += 4) data.writeUInt32BE((random() * 2 ** 32) >>> 0, j);
      return { offset: i * 64 * 1024, data };
    });
    const outcomes = await lastValueFrom(
      from(blocks).pipe(
        mergeMap((b) => client!.write(b.offset, b.data).pipe(
          toArray(),
          map(() => 'ok'),
          catchError((e: { code?: string }) => of(e.code ?? 'uncoded')),
        ), 16),
        toArray(),
      ),
    );
    // Every write either completed or was reported; with reconnect on, all complete.
    expect(outcomes.filter((o) => o !== 'ok')).to.deep.equal([]);
    const back = await firstValueFrom(client.read(0, 32 * MiB));
    for (const b of blocks) {
      const got = back.subarray(b.offset, b.offset + b.data.length);
      expect(createHash('sha256').update(got).digest('hex'), `block at ${b.offset}`).to.equal(createHash('sha256').update(b.data).digest('hex'));
    }
    const stats = client.stats()[0];
    expect(stats.failed).to.equal(0);
    expect(stats.reconnects, 'the device dropped the connection several times').to.be.greaterThan(3);
    expect(stats.replayed).to.be.greaterThan(0);
    expect(stats.completed).to.equal(512 + 128);
    await done(client.close());
    client = undefined;
  });

  it('fails everything pending with RXB_RECONNECT_GAVE_UP when no server comes back, then fails fast', async () => {
    server = await startServer({ exports: [{ name: '', size: 8 * MiB }] });
    client = await firstValueFrom(connectNbd(server.uri, { reconnect: { delayMs: 10, maxDelayMs: 20, giveUpAfterMs: 300 } }));
    await done(client.write(0, Buffer.alloc(4096, 1)));
    await server.close();
    server = undefined;
    const started = Date.now();
    const err = await firstValueFrom(client.read(0, 4096)).catch((e) => e);
    expect(err.code).to.equal('RXB_RECONNECT_GAVE_UP');
    expect(Date.now() - started).to.be.lessThan(5000);
    const fast = Date.now();
    const again = await firstValueFrom(client.read(0, 4096)).catch((e) => e);
    expect(again.code).to.equal('RXB_RECONNECT_GAVE_UP');
    expect(Date.now() - fast).to.be.lessThan(100);
  });

  it('without reconnect, a lost connection fails the pending requests with a coded error', async () => {
    server = await startServer({
      exports: [{ name: '', size: 64 * MiB }],
      model: { base: 'unlimited', faults: { disconnectAfterBytes: 1 * MiB } },
    });
    client = await firstValueFrom(connectNbd(server.uri));
    const codes = await lastValueFrom(
      from(Array.from({ length: 64 }, (_, i) => i)).pipe(
        mergeMap((i) => client!.write(i * 65536, Buffer.alloc(65536, i)).pipe(
          toArray(),
          map(() => 'ok'),
          catchError((e: { code?: string }) => of(e.code ?? 'uncoded')),
        ), 16),
        toArray(),
      ),
    );
    const failed = codes.filter((c) => c !== 'ok');
    expect(failed.length).to.be.greaterThan(0);
    expect(new Set(failed)).to.satisfy((s: Set<string>) => [...s].every((c) => c.startsWith('RXB_')));
  });
});
