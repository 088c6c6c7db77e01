/**
 * The NBD client against a server that stops in the middle of a valid
 * transcript: cut at every byte of the handshake and of the replies to a
 * small workload, then closed (a sample left silent instead, for the
 * timeout path). Deterministic: every position, every run.
 */
import { expect } from 'chai';
import { handshakePlan, handshakeTurns, type SeenRequest } from './harness.js';
import { runHostileCase } from './clientCase.js';
import { hostileSuite } from './suiteFixture.js';
import { renderReplies, type ReplyOp } from './replyProgram.js';
import { NARROW, requestCount } from './workload.js';
import { Command } from '../../src/nbd/protocol.js';

const NOTHING = () => Buffer.alloc(0);
/** One position in this many is left silent (each costs a timeout) instead of closed. */
const HOLD_EVERY = 53;

/** Correct replies to every request of the workload; READs in two chunks (data, hole), out of order. */
function transcript(seen: readonly SeenRequest[], structured: boolean): Buffer {
  const ops: ReplyOp[] = seen.map((_, i) => ({ kind: 'valid', target: i, pieces: 2, holes: 2, rotate: 1, trailingNone: i % 2 === 0, twist: 'none' }));
  return renderReplies(ops, seen, structured, handshakePlan(structured).metaContextId);
}

/** The workload's requests as the server will see them (cookies differ, lengths do not). */
function expectedRequests(structured: boolean): SeenRequest[] {
  const [[o1, n1], [o2, n2]] = NARROW.reads;
  const all: SeenRequest[] = [
    { type: Command.Read, flags: 0, cookie: 1n, offset: o1, length: n1 },
    { type: Command.Read, flags: 0, cookie: 2n, offset: o2, length: n2 },
    { type: Command.Write, flags: 0, cookie: 3n, offset: NARROW.write[0], length: NARROW.write[1] },
    { type: Command.Flush, flags: 0, cookie: 4n, offset: 0, length: 0 },
    { type: Command.BlockStatus, flags: 0, cookie: 5n, offset: NARROW.blockStatus[0], length: NARROW.blockStatus[1] },
  ];
  return all.slice(0, requestCount(structured));
}

describe('NBD client against a hostile server: truncation at every byte', function () {
  this.timeout(0); // a fixed number of cases, each with its own deadlines
  const suite = hostileSuite();

  for (const structured of [true, false]) {
    const kind = structured ? 'structured' : 'simple';

    it(`${kind} replies: the whole transcript answers every request`, async () => {
      // The transcript is right, so the cuts below are cuts of something valid.
      const result = await runHostileCase(suite.server, {
        plan: handshakePlan(structured),
        shape: NARROW,
        replies: (seen) => ({ bytes: transcript(seen, structured) }),
        ending: 'hold',
      });
      expect(result.settled.filter((s) => !s.ok).map((s) => s.name)).to.deep.equal(structured ? [] : ['block-status']);
    });

    it(`${kind} replies: a close (or silence) at every byte settles everything with coded errors`, async () => {
      const plan = handshakePlan(structured);
      const cuts: { cut?: { turn: number; keep: number }; replyBytes?: number }[] = [];
      handshakeTurns(plan).forEach((bytes, turn) => {
        for (let keep = 0; keep < bytes.length; keep++) cuts.push({ cut: { turn, keep } });
      });
      const total = transcript(expectedRequests(structured), structured).length;
      for (let n = 0; n < total; n++) cuts.push({ replyBytes: n });
      for (const [i, c] of cuts.entries()) {
        await runHostileCase(suite.server, {
          plan: handshakePlan(structured, c.cut && { ...c.cut, garbage: NOTHING }),
          shape: NARROW,
          replies: (seen) => ({ bytes: transcript(seen, structured).subarray(0, c.replyBytes) }),
          ending: i % HOLD_EVERY === HOLD_EVERY - 1 ? 'hold' : 'end',
        }).catch((err: Error) => {
          throw new Error(`cut ${JSON.stringify(c)}: ${err.message}`, { cause: err });
        });
      }
      suite.guard.expectClean();
      suite.allocations.expectAtMost(1024 * 1024);
    });
  }
});
