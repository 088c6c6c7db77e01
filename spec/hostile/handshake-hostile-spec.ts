/**
 * The NBD client against a server that breaks the handshake: correct up to
 * a generated turn and byte, then garbage (bad magics, option reply lengths
 * up to 2^32 − 1, malformed or absurd INFO payloads, unexpected reply
 * types), then a close, a reset or silence. Connecting must fail with a
 * coded error within the handshake timeout and drop the socket, or succeed
 * and leave a client that still obeys every transmission invariant.
 */
import fc from 'fast-check';
import { HostileServer, handshakePlan, type Ending } from './harness.js';
import { AllocationTracker, ProcessGuard, fuzzParameters } from './invariants.js';
import { runHostileCase } from './clientCase.js';
import { handshakeGarbageArb, renderGarbage } from './handshakeGarbage.js';
import { WIDE } from './workload.js';

const ending: fc.Arbitrary<Ending> = fc.oneof(
  { weight: 4, arbitrary: fc.constant('end' as const) },
  { weight: 2, arbitrary: fc.constant('reset' as const) },
  { weight: 1, arbitrary: fc.constant('hold' as const) },
);

describe('NBD client against a hostile server: generated handshakes', function () {
  this.timeout(0); // bounded by the run count; each case has its own deadlines
  let server: HostileServer;
  let guard: ProcessGuard;
  let allocations: AllocationTracker;

  before(async () => {
    server = await HostileServer.start();
    guard = new ProcessGuard();
    allocations = new AllocationTracker();
  });
  after(async () => {
    allocations?.dispose();
    guard?.dispose();
    await server?.close();
  });

  it('fails with a coded error in time and drops the socket, or connects to a client that still behaves', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.nat(3), // greeting, STRUCTURED_REPLY, SET_META_CONTEXT (or GO), GO
        fc.oneof(fc.nat(120), fc.constant(1000)),
        handshakeGarbageArb,
        ending,
        async (structured, turn, keep, garbage, end) => {
          await runHostileCase(server, {
            plan: handshakePlan(structured, { turn, keep, garbage: (option) => renderGarbage(garbage, option) }),
            shape: WIDE,
            replies: () => ({ bytes: Buffer.alloc(0) }),
            ending: end,
          });
          guard.expectClean();
          allocations.expectAtMost(1024 * 1024);
        },
      ),
      fuzzParameters(0.3),
    );
  });
});
