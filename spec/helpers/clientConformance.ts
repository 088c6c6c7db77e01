/**
 * The NBD client's conformance checks, run against any server a spec starts:
 * nbdkit, qemu-nbd, rxbridge's own device emulator.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { concatMap, firstValueFrom, from, lastValueFrom, mergeMap, range, toArray } from 'rxjs';
import { connectNbd, type NbdClient, type NbdOptions } from '../../src/nbd/client/index.js';
import { mulberry32 } from './toyEngine.js';

export interface PeerUnderTest {
  uri: string;
  stop(): Promise<void>;
}

const done = <T>(o: import('rxjs').Observable<T>) => lastValueFrom(o, { defaultValue: undefined });
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export function clientConformance(
  name: string,
  start: () => Promise<PeerUnderTest>,
  expectations: { size: number; sparse?: boolean; options?: NbdOptions; writes?: number; outOfOrder?: boolean; structured?: boolean },
): void {
  describe(`NBD client against ${name}`, function () {
    this.timeout(120_000);
    let peer: PeerUnderTest;
    let client: NbdClient;

    before(async () => {
      peer = await start();
      client = await firstValueFrom(connectNbd(peer.uri, expectations.options));
    });

    after(async () => {
      if (client) await done(client.close()).catch(() => client.destroy());
      if (peer) await peer.stop();
    });

    it('negotiates transmission and reports the export', () => {
      expect(client.info.size).to.equal(BigInt(expectations.size));
      expect(client.info.readOnly).to.equal(false);
      if (expectations.structured !== undefined) expect(client.info.structuredReplies).to.equal(expectations.structured);
    });

    it('writes and reads back across request boundaries', async () => {
      const data = Buffer.alloc(3 * client.requestBytes + 512);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7 + 3) & 0xff;
      await done(client.write(1024 * 1024, data));
      const back = await firstValueFrom(client.read(1024 * 1024, data.length));
      expect(sha(back)).to.equal(sha(data));
      const into = Buffer.alloc(data.length + 100, 0xee);
      await firstValueFrom(client.read(1024 * 1024, data.length, { into, intoOffset: 100 }));
      expect(sha(into.subarray(100))).to.equal(sha(data));
      expect(into[99]).to.equal(0xee);
    });

    it(`survives ${expectations.writes ?? 10_000} random-offset writes at queue depth 64, then reads verified against a local model`, async () => {
      const blocks = 2048;
      const bs = 4096;
      const base = 16 * 1024 * 1024;
      const model = Buffer.alloc(blocks * bs);
      const random = mulberry32(1234);
      const writes = Array.from({ length: expectations.writes ?? 10_000 }, (_, i) => {
        const block = Math.floor(random() * blocks);
        const data = Buffer.alloc(bs, (i * 13 + block) & 0xff);
        data.writeUInt32BE(i, 0);
        return { block, data };
      });
      // Two writes to one block in flight at once may land in either order: keep
      // each block's writes in sequence, and all blocks 64 deep.
      const byBlock = new Map<number, Buffer[]>();
      for (const w of writes) byBlock.set(w.block, [...(byBlock.get(w.block) ?? []), w.data]);
      await lastValueFrom(
        from([...byBlock]).pipe(
          mergeMap(([block, datas]) => from(datas).pipe(concatMap((d) => client.write(base + block * bs, d))), 64),
        ),
        { defaultValue: undefined },
      );
      for (const [block, datas] of byBlock) datas[datas.length - 1].copy(model, block * bs);
      const back = await lastValueFrom(range(0, 16).pipe(
        mergeMap((k) => client.read(base + k * (model.length / 16), model.length / 16), 64),
        toArray(),
      ));
      // Reassemble in offset order (mergeMap may complete out of order).
      const ordered = Buffer.alloc(model.length);
      await Promise.all(Array.from({ length: 16 }, async (_, k) => {
        const part = await firstValueFrom(client.read(base + k * (model.length / 16), model.length / 16));
        part.copy(ordered, k * (model.length / 16));
      }));
      expect(back).to.have.lengthOf(16);
      expect(sha(ordered)).to.equal(sha(model));
    });

    it('runs every command the server advertises', async () => {
      const info = client.info;
      const at = 64 * 1024 * 1024;
      await done(client.write(at, Buffer.alloc(65536, 0xab), { fua: info.canFua }));
      if (info.canFlush) await done(client.flush());
      if (info.canCache) await done(client.cache(at, 65536));
      if (info.canZero) {
        await done(client.zero(at, 4096, { noHole: true }));
        const z = await firstValueFrom(client.read(at, 8192));
        expect(z.subarray(0, 4096).every((b) => b === 0)).to.equal(true);
        expect(z.subarray(4096).every((b) => b === 0xab)).to.equal(true);
      }
      if (info.canFastZero) {
        await done(client.zero(at + 4096, 4096, { fastZero: true })).catch((e) => {
          // ENOTSUP is a valid answer to fast zero: the server would be slow.
          expect(e.code).to.equal('NBD_ENOTSUP');
        });
      }
      if (info.canTrim) await done(client.trim(at, 65536));
    });

    it('reports block status on a sparse export', async function () {
      if (client.info.baseAllocation === undefined) {
        expect(expectations.sparse, 'the server offered no base:allocation').to.not.equal(true);
        return;
      }
      const at = 128 * 1024 * 1024;
      await done(client.write(at, Buffer.alloc(1024 * 1024, 1)));
      const extents = await lastValueFrom(client.blockStatus(at - 1024 * 1024, 3 * 1024 * 1024).pipe(toArray()));
      const total = extents.reduce((s, e) => s + e.length, 0);
      expect(total).to.equal(3 * 1024 * 1024);
      const dataExtent = extents.find((e) => e.offset <= at && e.offset + e.length > at)!;
      expect(dataExtent.hole).to.equal(false);
      if (expectations.sparse) {
        expect(extents[0].hole || extents[0].zero, 'the unwritten start reads as a hole or zeros').to.equal(true);
      }
    });

    if (expectations.outOfOrder) {
      it('matches replies that come back out of order', async () => {
        const completed: number[] = [];
        const sub = client.events$.subscribe((e) => {
          if (e.type === 'request' && e.phase === 'completed') completed.push(e.record.tag);
        });
        const data = Buffer.alloc(4096, 5);
        await lastValueFrom(range(0, 400).pipe(
          mergeMap((i) => (i % 2 ? client.read(i * 4096, 4096) : client.write(i * 4096, data)), 64),
        ), { defaultValue: undefined });
        sub.unsubscribe();
        expect(completed).to.have.lengthOf(400);
        const inversions = completed.filter((tag, i) => i > 0 && tag < completed[i - 1]).length;
        expect(inversions, 'replies completed out of submission order').to.be.greaterThan(0);
      });
    }

    it('rejects bad ranges before sending anything', async () => {
      const before = client.stats().reduce((s, x) => s + x.submitted, 0);
      const err = await firstValueFrom(client.read(BigInt(expectations.size) - 10n, 20)).catch((e) => e);
      expect(err.code).to.equal('RXB_INVALID_ARGUMENT');
      const err2 = await done(client.write(-1, Buffer.alloc(1))).catch((e) => e);
      expect(err2.code).to.equal('RXB_INVALID_ARGUMENT');
      expect(client.stats().reduce((s, x) => s + x.submitted, 0)).to.equal(before);
    });
  });
}
