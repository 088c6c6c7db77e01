/**
 * Named hostile cases, one per attack of the reliability issue, each with
 * the exact outcome expected on top of the generic invariants (coded errors
 * in time, the socket dropped, close() never hanging, no allocation by a
 * peer-supplied length). The generated specs explore; these pin down.
 */
import { expect } from 'chai';
import { firstValueFrom } from 'rxjs';
import { connectNbd } from '../../src/nbd/client/index.js';
import { Command, OPTION_REPLY_MAGIC, Option, OptionReply } from '../../src/nbd/protocol.js';
import { encodeChunkHeader } from '../../src/nbd/replyEncoder.js';
import { encodeOptionReply } from '../../src/nbd/handshakeServer.js';
import { HostileServer, handshakePlan, type Ending, type SeenRequest } from './harness.js';
import { AllocationTracker, ProcessGuard, within } from './invariants.js';
import { CLIENT_OPTIONS, HANDSHAKE_TIMEOUT_MS, SLACK_MS, TIMEOUT_MS, runHostileCase, type CaseResult } from './clientCase.js';
import { renderReplies, type ReplyOp } from './replyProgram.js';
import { WIDE } from './workload.js';

type Op = ReplyOp extends infer T ? (T extends { target: number } ? Omit<T, 'target'> : never) : never;

/** Correct replies to every request but those `replace` names (by request type), which get `replace`'s ops instead. */
function answer(seen: readonly SeenRequest[], replace: Partial<Record<number, Op[]>> = {}, structured = true): Buffer {
  const ops: ReplyOp[] = [];
  seen.forEach((r, target) => {
    const own = replace[r.type];
    if (own) for (const op of own) ops.push({ ...op, target } as ReplyOp);
    else ops.push({ kind: 'valid', target, pieces: 1, holes: 0, rotate: 0, trailingNone: false, twist: 'none' });
  });
  return renderReplies(ops, seen, structured, handshakePlan(structured).metaContextId);
}

const codes = (r: CaseResult) => Object.fromEntries(r.settled.map((s) => [s.name, s.ok ? 'ok' : (s.error as { code: string }).code]));
const allFail = (code: string) => ({ read: code, 'read-into': code, write: code, flush: code, 'block-status': code });
const header = (type: number, length: number, flags = 0) => (seen: readonly SeenRequest[]) => encodeChunkHeader(seen[0].cookie, flags, type, length);

describe('NBD client against a hostile server: the catalogue', function () {
  this.timeout(20_000);
  let server: HostileServer;
  let guard: ProcessGuard;
  let allocations: AllocationTracker;

  before(async () => {
    server = await HostileServer.start();
  });
  beforeEach(() => {
    guard = new ProcessGuard();
    allocations = new AllocationTracker();
  });
  afterEach(() => {
    allocations.dispose();
    guard.dispose();
  });
  after(async () => {
    await server?.close();
  });

  /** Runs the workload against `replies`, sent in writes of at most `pieceBytes` (so long chunks arrive in parts). */
  const run = async (replies: (seen: readonly SeenRequest[]) => Buffer, ending: Ending = 'hold', trickleMs?: number, pieceBytes = 4096) => {
    const result = await runHostileCase(server, {
      plan: handshakePlan(true),
      shape: WIDE,
      replies: (seen) => {
        const bytes = replies(seen);
        return { bytes, cuts: Array.from({ length: Math.ceil(bytes.length / pieceBytes) }, (_, i) => i * pieceBytes) };
      },
      ending,
      trickleMs,
    });
    guard.expectClean();
    allocations.expectAtMost(1024 * 1024);
    return result;
  };

  it('a wrong reply magic fails every request with NBD_BAD_MAGIC', async () => {
    const r = await run(() => Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'));
    expect(codes(r)).to.deep.equal(allFail('NBD_BAD_MAGIC'));
  });

  it('a chunk announcing 2^32 − 1 bytes fails with RXB_FRAME_TOO_LARGE before anything is allocated', async () => {
    const r = await run(header(1, 0xffffffff));
    expect(codes(r)).to.deep.equal(allFail('RXB_FRAME_TOO_LARGE'));
  });

  it('an OFFSET_DATA chunk of length 0 is a protocol error for the connection', async () => {
    const r = await run(header(1, 0, 1));
    expect(codes(r)).to.deep.equal(allFail('NBD_BAD_CHUNK'));
  });

  it('a BLOCK_STATUS chunk announcing 8 MiB, of which 100 bytes come, allocates nothing by its length', async () => {
    const r = await run((seen) => {
      const bs = seen.find((s) => s.type === Command.BlockStatus)!;
      return Buffer.concat([encodeChunkHeader(bs.cookie, 1, 5, 4 + 8 * 1024 * 1024), Buffer.alloc(100, 1)]);
    });
    expect(codes(r)['block-status']).to.be.oneOf(['RXB_TIMEOUT', 'RXB_CONNECTION_CLOSED']);
  });

  it('an unknown chunk type without the error bit ends the connection; with it, fails only its request', async () => {
    const fatal = await run((seen) => Buffer.concat([header(0x1234, 4)(seen), Buffer.alloc(4)]));
    expect(codes(fatal)).to.deep.equal(allFail('NBD_BAD_CHUNK'));
    const unknownError: Op = { kind: 'chunk', flags: 1, type: 0x8123, length: 6, payload: Uint8Array.from([0, 0, 0, 5, 0, 0]) };
    const r = await run((seen) => answer(seen, { [Command.Flush]: [unknownError] }));
    expect(codes(r)).to.deep.equal({ read: 'ok', 'read-into': 'ok', write: 'ok', flush: 'NBD_EIO', 'block-status': 'ok' });
    expect(r.fatal).to.equal(undefined);
  });

  it('a reply for a cookie never sent fails every request with RXB_UNKNOWN_TAG', async () => {
    const r = await run((seen) => Buffer.concat([renderReplies([{ kind: 'foreignCookie', cookie: 0xfeedn }], seen, true, 7), answer(seen)]));
    expect(codes(r)).to.deep.equal(allFail('RXB_UNKNOWN_TAG'));
  });

  it('a second reply for a completed request is an unknown tag: the rest fail', async () => {
    const r = await run((seen) => {
      const first = answer(seen.slice(0, 1));
      return Buffer.concat([first, first, answer(seen.slice(1))]);
    });
    const c = Object.values(codes(r));
    expect(c.filter((x) => x === 'ok')).to.have.lengthOf(1);
    expect(c.filter((x) => x === 'RXB_UNKNOWN_TAG')).to.have.lengthOf(4);
  });

  it('a reply without DONE times out (RXB_TIMEOUT), then the connection is dropped and new requests fail at once', async () => {
    const noDone: Op = { kind: 'valid', pieces: 2, holes: 0, rotate: 0, trailingNone: false, twist: 'noDone' };
    const t0 = performance.now();
    const r = await run((seen) => answer(seen, { [Command.Read]: [noDone] }));
    expect(performance.now() - t0).to.be.at.least(TIMEOUT_MS - 10);
    // The first read to time out ends the connection; the other read fails with it.
    expect(codes(r)).to.deep.equal({ read: 'RXB_TIMEOUT', 'read-into': 'RXB_CONNECTION_CLOSED', write: 'ok', flush: 'ok', 'block-status': 'ok' });
    expect(r.lateError).to.have.property('code', 'RXB_CONNECTION_CLOSED');
  });

  it('a chunk past the requested range fails only that read (NBD_BAD_CHUNK), the connection goes on', async () => {
    const past: Op = { kind: 'data', rel: 19_800, size: 600, done: true };
    const r = await run((seen) => answer(seen, { [Command.Read]: [past] }));
    expect(codes(r)).to.deep.equal({ read: 'NBD_BAD_CHUNK', 'read-into': 'NBD_BAD_CHUNK', write: 'ok', flush: 'ok', 'block-status': 'ok' });
    expect(r.fatal).to.equal(undefined);
  });

  it('a READ reply that sends one range twice and another never fails (NBD_BAD_CHUNK), leaving no byte unwritten', async () => {
    const twice: Op = { kind: 'valid', pieces: 2, holes: 0, rotate: 0, trailingNone: false, twist: 'duplicate' };
    const r = await run((seen) => answer(seen, { [Command.Read]: [twice] }));
    expect(codes(r)).to.include({ read: 'NBD_BAD_CHUNK', 'read-into': 'NBD_BAD_CHUNK' });
  });

  it('an error chunk too long to arrive in one part still reports its errno and message', async () => {
    const long: Op = { kind: 'error', errno: 5, messageLength: 20_000, atOffset: false, done: true };
    const r = await run((seen) => answer(seen, { [Command.Write]: [long] }));
    expect(codes(r)).to.include({ write: 'NBD_EIO', read: 'ok' });
    const error = r.settled.find((s) => s.name === 'write')!.error as { serverMessage: string };
    expect(error.serverMessage).to.have.lengthOf(20_000);
  });

  it('a reset in the middle of a reply fails everything with RXB_CONNECTION_CLOSED', async () => {
    const r = await run((seen) => answer(seen).subarray(0, 30), 'reset');
    expect(codes(r)).to.deep.equal(allFail('RXB_CONNECTION_CLOSED'));
  });

  it('a trickle (one byte, then silence) times out: RXB_TIMEOUT first, the rest RXB_CONNECTION_CLOSED, new requests at once', async () => {
    const t0 = performance.now();
    const r = await run((seen) => answer(seen).subarray(0, 1));
    expect(performance.now() - t0).to.be.at.least(TIMEOUT_MS - 10);
    const c = Object.values(codes(r));
    expect(c).to.include('RXB_TIMEOUT');
    expect(c.every((x) => x === 'RXB_TIMEOUT' || x === 'RXB_CONNECTION_CLOSED')).to.equal(true);
    expect(r.lateError).to.have.property('code', 'RXB_CONNECTION_CLOSED');
  });

  it('a slow trickle of valid replies (a byte every 20 ms) still times out on time', async () => {
    const r = await run((seen) => answer(seen), 'hold', 20);
    expect(Object.values(codes(r))).to.include('RXB_TIMEOUT');
    for (const s of r.settled) expect(s.ms).to.be.at.most(TIMEOUT_MS + SLACK_MS);
  });

  describe('with several connections', () => {
    const multiConn = handshakePlan(true);
    const canMultiConn = { ...multiConn, flags: multiConn.flags | 256 };

    it('one connection whose handshake fails: connecting fails and the connections that succeeded are dropped too', async () => {
      const good = [server.next((c) => c.handshake(canMultiConn).then(() => {})), server.next((c) => c.handshake(canMultiConn).then(() => {}))];
      const bad = server.next(async (c) => {
        await new Promise((r) => setTimeout(r, 30)); // after the second one is through
        c.write(Buffer.from('not an NBD server\n'));
      });
      const error = await firstValueFrom(connectNbd(server.uri, { ...CLIENT_OPTIONS, connections: 3 })).then(() => undefined, (e: unknown) => e);
      expect((error as { code?: string }).code).to.equal('NBD_HANDSHAKE');
      await within((await bad).closed, SLACK_MS, 'the failed connection is dropped');
      for (const c of good) await within((await c).closed, SLACK_MS, 'a connection that had succeeded is dropped');
      guard.expectClean();
    });

    it('unsubscribing while a later connection negotiates drops every connection', async () => {
      const first = server.next(async (c) => {
        await c.handshake(canMultiConn);
      });
      const second = server.next(async (c) => c.write(Buffer.from('NBDMAGIC'))); // and then nothing
      const subscription = connectNbd(server.uri, { ...CLIENT_OPTIONS, connections: 2 }).subscribe({ error: () => {} });
      const conn = await second;
      await new Promise((r) => setTimeout(r, 20));
      subscription.unsubscribe();
      // At once: well before the handshake timeout would drop it anyway.
      await within(conn.closed, HANDSHAKE_TIMEOUT_MS / 3, 'the negotiating connection is dropped');
      await within((await first).closed, HANDSHAKE_TIMEOUT_MS / 3, 'the negotiated connection is dropped');
      guard.expectClean();
    });
  });

  describe('in the handshake', () => {
    const connectFails = async (script: Parameters<HostileServer['next']>[0]) => {
      const accepted = server.next(script);
      const t0 = performance.now();
      const error = await within(firstValueFrom(connectNbd(server.uri, CLIENT_OPTIONS)).then(() => undefined, (e: unknown) => e), HANDSHAKE_TIMEOUT_MS + SLACK_MS, 'connect');
      const conn = await accepted;
      await within(conn.closed, SLACK_MS, 'the client drops the socket');
      guard.expectClean();
      allocations.expectAtMost(1024 * 1024);
      return { code: (error as { code?: string } | undefined)?.code, ms: performance.now() - t0 };
    };

    it('one byte of the greeting, then silence: NBD_HANDSHAKE_TIMEOUT', async () => {
      const r = await connectFails(async (c) => c.write(Buffer.from('N')));
      expect(r.code).to.equal('NBD_HANDSHAKE_TIMEOUT');
      expect(r.ms).to.be.at.least(HANDSHAKE_TIMEOUT_MS - 10);
    });

    it('a correct handshake a byte every 25 ms: the handshake timeout covers the whole of it', async () => {
      const r = await connectFails(async (c) => {
        await c.trickle(Buffer.from('NBDMAGICIHAVEOPT\0\x03'), 25);
      });
      expect(r.code).to.equal('NBD_HANDSHAKE_TIMEOUT');
    });

    const afterGreeting = (reply: Buffer) => async (c: import('./harness.js').ScriptedConnection) => {
      await c.handshake(handshakePlan(true, { turn: 1, keep: 0, garbage: () => reply }));
    };

    it('an option reply announcing 2^32 − 1 bytes: NBD_OPTION_TOO_BIG, nothing allocated', async () => {
      const h = encodeOptionReply(Option.StructuredReply, OptionReply.Ack);
      h.writeUInt32BE(0xffffffff, 16);
      expect((await connectFails(afterGreeting(h))).code).to.equal('NBD_OPTION_TOO_BIG');
    });

    it('a bad option reply magic: NBD_HANDSHAKE', async () => {
      const h = encodeOptionReply(Option.StructuredReply, OptionReply.Ack);
      h.writeBigUInt64BE(OPTION_REPLY_MAGIC ^ 1n, 0);
      expect((await connectFails(afterGreeting(h))).code).to.equal('NBD_HANDSHAKE');
    });

    it('a malformed NBD_INFO_EXPORT (11 bytes): NBD_HANDSHAKE', async () => {
      const info = encodeOptionReply(Option.Go, OptionReply.Info, Buffer.alloc(11));
      const r = await connectFails(async (c) => {
        await c.handshake(handshakePlan(true, { turn: 3, keep: 0, garbage: () => info }));
      });
      expect(r.code).to.equal('NBD_HANDSHAKE');
    });
  });
});
