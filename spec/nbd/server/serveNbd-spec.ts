import { expect } from 'chai';
import net from 'node:net';
import { firstValueFrom } from 'rxjs';
import { serveNbd, type NbdServerHandle } from '../../../src/nbd/server/serveNbd.js';
import { RawClient, goData, metaData, option, portOf, request, startServer } from './rawClient.js';

const READ = 0, WRITE = 1, DISC = 2, FLUSH = 3, TRIM = 4, CACHE = 5, WRITE_ZEROES = 6, BLOCK_STATUS = 7;
const ACK = 1, SERVER = 2, INFO = 3, META = 4;
const ERR_UNSUP = 0x80000001, ERR_INVALID = 0x80000003, ERR_UNKNOWN = 0x80000006;

describe('serveNbd', () => {
  let server: NbdServerHandle;
  const clients: RawClient[] = [];
  const connect = async () => {
    const c = await RawClient.connect(portOf(server));
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    server = await startServer({
      exports: [
        { name: '', size: 1 << 20, description: 'the default' },
        { name: 'ro', size: 65536, readOnly: true },
      ],
    });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await server.close();
  });

  describe('listening', () => {
    it('emits a handle with the address and URI once listening, and closes on unsubscribe', async () => {
      expect(server.uri).to.equal(`nbd://127.0.0.1:${portOf(server)}/`);
      const other = await new Promise<{ handle: NbdServerHandle; stop: () => void }>((resolve) => {
        const sub = serveNbd().subscribe((handle) => resolve({ handle, stop: () => sub.unsubscribe() }));
      });
      const c = await RawClient.connect(portOf(other.handle));
      other.stop();
      expect(await c.closedWithin()).to.equal(true);
      await new Promise<void>((resolve, reject) => {
        const s = net.connect(portOf(other.handle), '127.0.0.1');
        s.on('error', () => resolve());
        s.on('connect', () => {
          s.destroy();
          reject(new Error('still listening'));
        });
      });
    });

    it('errors when the port is taken', async () => {
      const err = await firstValueFrom(serveNbd({ port: portOf(server) })).catch((e) => e);
      expect(err).to.be.instanceOf(Error);
      expect(err.code).to.equal('RXB_INTERNAL');
    });

    it('errors on invalid options', async () => {
      const err = await firstValueFrom(serveNbd({ exports: [{ name: 'a', size: 1 }, { name: 'a', size: 2 }] })).catch((e) => e);
      expect(err.code).to.equal('RXB_INVALID_ARGUMENT');
      const err2 = await firstValueFrom(serveNbd({ minimumBlockSize: 3 })).catch((e) => e);
      expect(err2.code).to.equal('RXB_INVALID_ARGUMENT');
    });

    it('refuses connections beyond maxConnections', async () => {
      const limited = await startServer({ maxConnections: 1 });
      const a = await RawClient.connect(portOf(limited));
      await a.greet();
      const b = await RawClient.connect(portOf(limited));
      expect(await b.closedWithin()).to.equal(true);
      a.destroy();
      await limited.close();
    });

    it('listens on a Unix socket', async () => {
      const path = `/tmp/rxbridge-spec-${process.pid}-${Date.now()}.sock`;
      const unix = await startServer({ path });
      expect(unix.uri).to.equal(`nbd+unix:///?socket=${encodeURIComponent(path)}`);
      const s = net.connect(path);
      const greeting = await new Promise<Buffer>((resolve) => s.once('data', resolve));
      expect(greeting.subarray(0, 8).toString('latin1')).to.equal('NBDMAGIC');
      s.destroy();
      await unix.close();
    });
  });

  describe('handshake', () => {
    it('greets with FIXED_NEWSTYLE | NO_ZEROES', async () => {
      const c = await connect();
      expect(await c.greet()).to.equal(3);
    });

    it('closes on a client without FIXED_NEWSTYLE, or with unknown flags', async () => {
      const a = await connect();
      await a.greet(0);
      expect(await a.closedWithin()).to.equal(true);
      const b = await connect();
      await b.greet(1 | 4);
      expect(await b.closedWithin()).to.equal(true);
    });

    it('lists exports with their descriptions', async () => {
      const c = await connect();
      await c.greet();
      c.write(option(3));
      const replies = await c.readOptionReplies();
      expect(replies.map((r) => r.type)).to.deep.equal([SERVER, SERVER, ACK]);
      const names = replies.slice(0, 2).map((r) => r.data.subarray(4, 4 + r.data.readUInt32BE(0)).toString());
      expect(names).to.deep.equal(['', 'ro']);
      expect(replies[0].data.subarray(4).toString()).to.equal('the default');
      c.write(option(3, Buffer.from([1])));
      expect((await c.readOptionReply()).type).to.equal(ERR_INVALID);
    });

    it('answers INFO with export, block size, name and description, and stays in the handshake', async () => {
      const c = await connect();
      await c.greet();
      c.write(option(6, goData('', [1, 2, 3])));
      const replies = await c.readOptionReplies();
      const infos = replies.filter((r) => r.type === INFO);
      const byType = new Map(infos.map((r) => [r.data.readUInt16BE(0), r.data]));
      expect(byType.get(0)!.readBigUInt64BE(2)).to.equal(1n << 20n);
      // HAS_FLAGS SEND_FLUSH SEND_FUA SEND_TRIM SEND_WRITE_ZEROES CAN_MULTI_CONN SEND_CACHE SEND_FAST_ZERO
      expect(byType.get(0)!.readUInt16BE(10)).to.equal(0b1101_0110_1101);
      const bs = byType.get(3)!;
      expect([bs.readUInt32BE(2), bs.readUInt32BE(6), bs.readUInt32BE(10)]).to.deep.equal([1, 4096, 32 * 1024 * 1024]);
      expect(byType.get(1)!.subarray(2).toString()).to.equal('');
      expect(byType.get(2)!.subarray(2).toString()).to.equal('the default');
      expect(replies[replies.length - 1].type).to.equal(ACK);
      // Still in the handshake: another option works.
      c.write(option(6, goData('ro')));
      const ro = await c.readOptionReplies();
      expect(ro[0].data.readUInt16BE(10) & 2).to.equal(2);
    });

    it('refuses unknown exports, malformed GO data and unknown options, then goes on', async () => {
      const c = await connect();
      await c.greet();
      c.write(option(7, goData('nope')));
      expect((await c.readOptionReply()).type).to.equal(ERR_UNKNOWN);
      c.write(option(7, Buffer.from([0, 0, 0, 9, 1])));
      expect((await c.readOptionReply()).type).to.equal(ERR_INVALID);
      c.write(option(5)); // STARTTLS: not offered
      expect((await c.readOptionReply()).type).to.equal(ERR_UNSUP);
      c.write(option(0x1234, Buffer.from('xyz')));
      const unknown = await c.readOptionReply();
      expect([unknown.option, unknown.type]).to.deep.equal([0x1234, ERR_UNSUP]);
      c.write(option(7, goData('')));
      expect((await c.readOptionReplies()).pop()!.type).to.equal(ACK);
    });

    it('selects base:allocation only after structured replies, with LIST and SET', async () => {
      const c = await connect();
      await c.greet();
      c.write(option(10, metaData('', ['base:allocation'])));
      expect((await c.readOptionReply()).type).to.equal(ERR_INVALID);
      c.write(option(8));
      expect((await c.readOptionReply()).type).to.equal(ACK);
      c.write(option(9, metaData('', [])));
      const listed = await c.readOptionReplies();
      expect(listed.map((r) => r.type)).to.deep.equal([META, ACK]);
      expect(listed[0].data.subarray(4).toString()).to.equal('base:allocation');
      c.write(option(10, metaData('', ['x-other:thing', 'base:allocation'])));
      const set = await c.readOptionReplies();
      expect(set.map((r) => r.type)).to.deep.equal([META, ACK]);
      expect(set[0].data.readUInt32BE(0)).to.equal(1);
      c.write(option(10, metaData('', ['x-other:thing'])));
      expect((await c.readOptionReplies()).map((r) => r.type)).to.deep.equal([ACK]);
      c.write(option(10, metaData('missing', ['base:allocation'])));
      expect((await c.readOptionReply()).type).to.equal(ERR_UNKNOWN);
    });

    it('advertises SEND_DF once structured replies are on', async () => {
      const c = await connect();
      const { flags } = await c.handshake({ structured: true });
      expect(flags & 0x80).to.equal(0x80);
    });

    it('ACKs ABORT and closes', async () => {
      const c = await connect();
      await c.greet();
      c.write(option(2));
      expect((await c.readOptionReply()).type).to.equal(ACK);
      expect(await c.closedWithin()).to.equal(true);
    });

    it('enters transmission with EXPORT_NAME (unframed reply, no zeroes when agreed)', async () => {
      const c = await connect();
      await c.greet(3);
      c.write(option(1, Buffer.from('ro')));
      const reply = await c.read(10);
      expect(reply.readBigUInt64BE(0)).to.equal(65536n);
      expect(reply.readUInt16BE(8) & 3).to.equal(3);
      c.write(request(READ, 0, 7n, 0, 4));
      const r = await c.readSimpleReply(4);
      expect([r.error, r.cookie]).to.deep.equal([0, 7n]);

      const z = await connect();
      await z.greet(1);
      z.write(option(1, Buffer.from('')));
      const withZeroes = await z.read(134);
      expect(withZeroes.subarray(10).every((b) => b === 0)).to.equal(true);
    });

    it('serves requests pipelined behind GO in the same packet', async () => {
      const c = await connect();
      const flags = Buffer.alloc(4);
      flags.writeUInt32BE(3);
      await c.read(18);
      c.write(Buffer.concat([flags, option(7, goData('')), request(WRITE, 0, 1n, 0, 2, Buffer.from('hi')), request(READ, 0, 2n, 0, 2)]));
      const replies = await c.readOptionReplies();
      expect(replies.pop()!.type).to.equal(ACK);
      expect((await c.readSimpleReply()).cookie).to.equal(1n);
      expect((await c.readSimpleReply(2)).data.toString()).to.equal('hi');
    });

    it('disconnects on EXPORT_NAME for an unknown export', async () => {
      const c = await connect();
      await c.greet();
      c.write(option(1, Buffer.from('nope')));
      expect(await c.closedWithin()).to.equal(true);
    });

    it('refuses an oversized option with TOO_BIG and goes on', async () => {
      const c = await connect();
      await c.greet();
      c.write(option(3, Buffer.alloc(100_000)));
      expect((await c.readOptionReply()).type).to.equal(0x80000009);
      c.write(option(3));
      expect((await c.readOptionReplies()).pop()!.type).to.equal(ACK);
    });

    it('gives up on a client after 64 options', async () => {
      const c = await connect();
      await c.greet();
      for (let i = 0; i < 64; i++) c.write(option(0x99));
      for (let i = 0; i < 64; i++) expect((await c.readOptionReply()).type).to.equal(ERR_UNSUP);
      c.write(option(0x99));
      expect(await c.closedWithin()).to.equal(true);
    });
  });

  describe('transmission', () => {
    it('writes, reads back, and answers with simple replies echoing 64-bit cookies', async () => {
      const c = await connect();
      await c.handshake();
      const data = Buffer.from('hello, device');
      c.write(request(WRITE, 1, 0xfedcba9876543210n, 1000, data.length, data));
      expect(await c.readSimpleReply()).to.deep.include({ error: 0, cookie: 0xfedcba9876543210n });
      c.write(request(READ, 0, 2n, 998, 17));
      const r = await c.readSimpleReply(17);
      expect(r.data).to.deep.equal(Buffer.concat([Buffer.alloc(2), data, Buffer.alloc(2)]));
    });

    it('serves FLUSH, CACHE, TRIM and WRITE_ZEROES (NO_HOLE, FAST_ZERO)', async () => {
      const c = await connect();
      await c.handshake();
      c.write(request(WRITE, 0, 1n, 0, 200_000, Buffer.alloc(200_000, 0xaa)));
      c.write(request(FLUSH, 0, 2n, 0, 0));
      c.write(request(CACHE, 0, 3n, 0, 4096));
      c.write(request(TRIM, 0, 4n, 10, 100));
      c.write(request(WRITE_ZEROES, 2, 5n, 1000, 100));
      c.write(request(WRITE_ZEROES, 16, 6n, 2000, 100));
      const replies = [];
      for (let i = 0; i < 6; i++) replies.push(await c.readSimpleReply());
      expect(replies.map((r) => r.error)).to.deep.equal([0, 0, 0, 0, 0, 0]);
      expect(replies.map((r) => r.cookie).sort()).to.deep.equal([1n, 2n, 3n, 4n, 5n, 6n]);
      c.write(request(READ, 0, 7n, 0, 2100));
      const { data } = await c.readSimpleReply(2100);
      const expected = Buffer.alloc(2100, 0xaa);
      expected.fill(0, 10, 110);
      expected.fill(0, 1000, 1100);
      expected.fill(0, 2000, 2100);
      expect(data.equals(expected)).to.equal(true);
    });

    it('answers structured: OFFSET_DATA for reads, NONE for others, ERROR chunks for errors', async () => {
      const c = await connect();
      await c.handshake({ structured: true });
      c.write(request(WRITE, 0, 1n, 4, 3, Buffer.from('abc')));
      const none = await c.readChunk();
      expect(none).to.deep.include({ flags: 1, type: 0, cookie: 1n });
      c.write(request(READ, 4, 2n, 3, 5)); // DF
      const d = await c.readChunk();
      expect([d.flags, d.type, d.cookie]).to.deep.equal([1, 1, 2n]);
      expect(d.payload.readBigUInt64BE(0)).to.equal(3n);
      expect(d.payload.subarray(8)).to.deep.equal(Buffer.from('\0abc\0', 'latin1'));
      c.write(request(READ, 0, 3n, (1 << 20) - 1, 2));
      const e = await c.readChunk();
      expect([e.flags, e.type, e.cookie]).to.deep.equal([1, 0x8001, 3n]);
      expect(e.payload.readUInt32BE(0)).to.equal(22);
      const msgLength = e.payload.readUInt16BE(4);
      expect(e.payload.length).to.equal(6 + msgLength);
    });

    it('reports base:allocation extents, one with REQ_ONE', async () => {
      const c = await connect();
      await c.handshake({ structured: true, meta: true });
      c.write(request(WRITE, 0, 1n, 65536, 65536, Buffer.alloc(65536, 1)));
      await c.readChunk();
      c.write(request(WRITE_ZEROES, 2, 2n, 3 * 65536, 65536)); // NO_HOLE: allocated zero
      await c.readChunk();
      c.write(request(BLOCK_STATUS, 0, 3n, 0, 4 * 65536));
      const bs = await c.readChunk();
      expect([bs.flags, bs.type, bs.cookie]).to.deep.equal([1, 5, 3n]);
      expect(bs.payload.readUInt32BE(0)).to.equal(1);
      const extents = [];
      for (let p = 4; p < bs.payload.length; p += 8) extents.push([bs.payload.readUInt32BE(p), bs.payload.readUInt32BE(p + 4)]);
      expect(extents).to.deep.equal([
        [65536, 3],
        [65536, 0],
        [65536, 3],
        [65536, 2],
      ]);
      c.write(request(BLOCK_STATUS, 8, 4n, 0, 4 * 65536));
      const one = await c.readChunk();
      expect(one.payload.length).to.equal(12);
    });

    it('refuses BLOCK_STATUS without base:allocation', async () => {
      const c = await connect();
      await c.handshake({ structured: true });
      c.write(request(BLOCK_STATUS, 0, 1n, 0, 4096));
      const e = await c.readChunk();
      expect([e.type, e.payload.readUInt32BE(0)]).to.deep.equal([0x8001, 22]);
    });

    it('answers bad requests with the right errno and keeps serving', async () => {
      const c = await connect();
      await c.handshake();
      const size = 1 << 20;
      const cases: [Buffer, number][] = [
        [request(READ, 0, 1n, size - 1, 2), 22], // past the end
        [request(WRITE, 0, 2n, size - 1, 2, Buffer.alloc(2)), 28], // write past the end: ENOSPC
        [request(WRITE_ZEROES, 0, 3n, size, 1), 28],
        [request(TRIM, 0, 4n, size, 1), 22],
        [request(READ, 0, 5n, 2n ** 63n, 1), 22], // offset beyond 2^53
        [request(READ, 0, 6n, 0, 33 * 1024 * 1024), 22], // above the maximum block size
        [request(9, 0, 7n, 0, 0), 22], // unknown command
        [request(READ, 2, 8n, 0, 1), 22], // NO_HOLE on READ
        [request(READ, 4, 9n, 0, 1), 22], // DF without structured replies
        [request(WRITE, 8, 10n, 0, 1, Buffer.alloc(1)), 22], // REQ_ONE on WRITE
        [request(FLUSH, 0, 11n, 0, 10), 22],
        [request(READ, 0, 12n, 0, 0), 22], // zero length
        [request(READ, 0x40, 13n, 0, 1), 22], // unknown flag
      ];
      for (const [req, errno] of cases) {
        c.write(req);
        const r = await c.readSimpleReply();
        expect(r.error, `cookie ${r.cookie}`).to.equal(errno);
      }
      c.write(request(READ, 1, 99n, 0, 1)); // FUA is accepted everywhere
      expect((await c.readSimpleReply(1)).error).to.equal(0);
    });

    it('reads and discards the payload of a refused WRITE', async () => {
      await server.close();
      server = await startServer({ exports: [{ name: '', size: 64 << 20 }] });
      const c = await connect();
      await c.handshake();
      const big = 33 * 1024 * 1024;
      c.write(request(WRITE, 0, 1n, 0, big, Buffer.alloc(big, 7)));
      expect((await c.readSimpleReply()).error).to.equal(22);
      c.write(request(READ, 0, 2n, 0, 8));
      const r = await c.readSimpleReply(8);
      expect(r.data).to.deep.equal(Buffer.alloc(8));
    });

    it('refuses writes, trims and zeroes on a read-only export with EPERM', async () => {
      const c = await connect();
      await c.handshake({ name: 'ro' });
      c.write(request(WRITE, 0, 1n, 0, 1, Buffer.alloc(1)));
      c.write(request(TRIM, 0, 2n, 0, 1));
      c.write(request(WRITE_ZEROES, 0, 3n, 0, 1));
      for (let i = 0; i < 3; i++) expect((await c.readSimpleReply()).error).to.equal(1);
    });

    it('shares one store between connections (multi-conn)', async () => {
      const a = await connect();
      const b = await connect();
      await a.handshake();
      await b.handshake();
      a.write(request(WRITE, 0, 1n, 500, 4, Buffer.from('ping')));
      await a.readSimpleReply();
      a.write(request(FLUSH, 0, 2n, 0, 0));
      await a.readSimpleReply();
      b.write(request(READ, 0, 3n, 500, 4));
      expect((await b.readSimpleReply(4)).data.toString()).to.equal('ping');
    });

    it('finishes in-flight requests after DISC, then closes', async () => {
      const c = await connect();
      await c.handshake();
      c.write(Buffer.concat([request(READ, 0, 1n, 0, 100_000), request(DISC, 0, 2n, 0, 0), request(READ, 0, 3n, 0, 1)]));
      const r = await c.readSimpleReply(100_000);
      expect(r.cookie).to.equal(1n);
      expect(await c.closedWithin()).to.equal(true);
      expect(server.stats().requests).to.equal(1);
    });

    it('counts what it serves', async () => {
      const c = await connect();
      await c.handshake();
      c.write(request(WRITE, 0, 1n, 0, 1000, Buffer.alloc(1000, 1)));
      await c.readSimpleReply();
      c.write(request(READ, 0, 2n, 0, 10));
      await c.readSimpleReply(10);
      const s = server.stats();
      expect(s).to.include({ open: 1, accepted: 1, transmitting: 1, requests: 2, errors: 0, bytesWritten: 1000, bytesRead: 10 });
      expect(s.allocatedBytes['']).to.equal(65536);
      expect(s.bytesIn).to.be.greaterThan(1056);
    });
  });
});
