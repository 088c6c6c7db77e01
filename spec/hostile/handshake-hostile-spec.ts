/**
 * The NBD client against a server that breaks the handshake: correct up to
 * a generated turn and byte, then garbage (bad magics, option reply lengths
 * up to 2^32 − 1, malformed or absurd INFO payloads, unexpected reply
 * types), then a close, a reset or silence. Connecting must fail with a
 * coded error within the handshake timeout and drop the socket, or succeed
 * and leave a client that still obeys every transmission invariant.
 */
import fc from 'fast-check';
import { handshakePlan } from './harness.js';
import { fuzzParameters } from './invariants.js';
import { runHostileCase } from './clientCase.js';
import { endingArb, hostileSuite } from './suiteFixture.js';
import { handshakeGarbageArb, renderGarbage } from './handshakeGarbage.js';
import { WIDE } from './workload.js';

describe('NBD client against a hostile server: generated handshakes', function () {
  this.timeout(0); // bounded by the run count; each case has its own deadlines
  const suite = hostileSuite();

  it('fails with a coded error in time and drops the socket, or connects to a client that still behaves', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.nat(3), // greeting, STRUCTURED_REPLY, SET_META_CONTEXT (or GO), GO
        fc.oneof(fc.nat(120), fc.constant(1000)),
        handshakeGarbageArb,
        endingArb,
        async (structured, turn, keep, garbage, end) => {
          await runHostileCase(suite.server, {
            plan: handshakePlan(structured, { turn, keep, garbage: (option) => renderGarbage(garbage, option) }),
            shape: WIDE,
            replies: () => ({ bytes: Buffer.alloc(0) }),
            ending: end,
          });
          suite.guard.expectClean();
          suite.allocations.expectAtMost(1024 * 1024);
        },
      ),
      fuzzParameters(0.3),
    );
  });
});
