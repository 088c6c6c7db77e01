import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { CLASSIC_ARCHS, connectClassic } from '../../../src/lab/arch/connectClassic.js';
import type { ClassicArch, LabClient } from '../../../src/lab/arch/types.js';
import { call, startDevice } from './device.js';

describe('classic architectures', () => {
  let device: Awaited<ReturnType<typeof startDevice>>;
  before(async () => {
    device = await startDevice();
  });
  after(async () => {
    await device.stop();
  });

  for (const arch of CLASSIC_ARCHS) {
    describe(arch, () => {
      let client: LabClient;
      beforeEach(async () => {
        client = await connectClassic(arch as ClassicArch, device.handle.uri);
      });
      afterEach(async () => {
        await client.close();
      });

      it('reads back what it wrote, many requests in flight', async () => {
        const base = CLASSIC_ARCHS.indexOf(arch) * (16 << 20);
        const blocks = Array.from({ length: 24 }, (_, i) => ({ offset: base + i * 300_000, data: randomBytes(1000 + i * 9000) }));
        await Promise.all(blocks.map((b) => call<void>((done) => client.write(b.offset, b.data, done))));
        const back = await Promise.all(blocks.map((b) => call<Buffer>((done) => client.read(b.offset, b.data.length, done))));
        back.forEach((buf, i) => expect(buf!.equals(blocks[i]!.data), `block ${i}`).to.equal(true));
        const stats = client.stats();
        expect(stats.pending).to.equal(0);
        expect(stats.queuedBytes).to.equal(0);
        expect(stats.writes).to.equal(48); // one write per unit
        expect(stats.bytesWritten).to.equal(48 * 28 + blocks.reduce((n, b) => n + b.data.length, 0));
      });

      it('records the stage times of each request in order Q ≤ D ≤ R ≤ C', async () => {
        await call<void>((done) => client.write(0, Buffer.alloc(4096, 1), done));
        await call<Buffer>((done) => client.read(0, 4096, done));
        const records = client.stages();
        expect(records.map((r) => [r.op, r.length, r.failed])).to.deep.equal([['write', 4096, false], ['read', 4096, false]]);
        for (const { times } of records) {
          expect(times.submitted).to.be.at.most(times.dispatched);
          expect(times.dispatched).to.be.at.most(times.replied);
          expect(times.replied).to.be.at.most(times.completed);
        }
        expect(client.stages()).to.deep.equal([]); // drained
      });

      it('fails a request the device refuses with a coded NBD error, and goes on', async () => {
        const err = await call<Buffer>((done) => client.read(64 << 20, 4096, done)).catch((e: unknown) => e);
        expect(err).to.have.property('code').that.matches(/^NBD_E/);
        const ok = await call<Buffer>((done) => client.read(0, 16, done));
        expect(ok).to.have.length(16);
      });

      it(`returns ${arch === 'lockstep' ? 'after the send' : 'at once'}`, async () => {
        const order: string[] = [];
        const finished = call<void>((done) =>
          client.write(0, Buffer.alloc(1 << 20), (err) => {
            order.push('done');
            done(err);
          }, () => order.push('returned')),
        );
        order.push('call ended');
        await finished;
        expect(order).to.deep.equal(arch === 'lockstep' ? ['call ended', 'returned', 'done'] : ['returned', 'call ended', 'done']);
      });

      it('fails pending requests and refuses new ones once the device is gone', async () => {
        const dying = await startDevice();
        const c = await connectClassic(arch as ClassicArch, dying.handle.uri);
        try {
          const pending = call<void>((done) => c.write(0, Buffer.alloc(8 << 20), done)).catch((e: unknown) => e);
          await dying.stop();
          expect(await pending).to.have.property('code', 'RXB_CONNECTION_CLOSED');
          const later = await call<Buffer>((done) => c.read(0, 16, done)).catch((e: unknown) => e);
          expect(later).to.have.property('code', 'RXB_CONNECTION_CLOSED');
          expect(c.stats().pending).to.equal(0);
        } finally {
          await c.close();
        }
      });
    });
  }
});
