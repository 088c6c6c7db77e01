/**
 * The NBD client against a server whose transmission-phase replies are
 * generated: valid replies mixed with every kind of violation. Runs
 * RXBRIDGE_FUZZ_RUNS × its share cases (see invariants.ts and bench/fuzz.ts).
 */
import fc from 'fast-check';
import { handshakePlan } from './harness.js';
import { fuzzParameters } from './invariants.js';
import { runHostileCase } from './clientCase.js';
import { endingArb, hostileSuite } from './suiteFixture.js';
import { replyOpArb, renderReplies } from './replyProgram.js';
import { WIDE } from './workload.js';

/** Above the 64 KiB receive buffer and the 20,000-byte read, far below any length a peer announces. */
const ALLOCATION_LIMIT = 1024 * 1024;

describe('NBD client against a hostile server: generated replies', function () {
  this.timeout(0); // bounded by the run count; each case has its own deadlines
  const suite = hostileSuite();

  it('settles every request with a coded error or correct data, closes the socket, never allocates by a peer length', async () => {
    const baseline = process.memoryUsage().arrayBuffers;
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(replyOpArb, { maxLength: 8 }),
        fc.array(fc.nat(30_000), { maxLength: 4 }),
        endingArb,
        async (structured, ops, cuts, end) => {
          const plan = handshakePlan(structured);
          await runHostileCase(suite.server, {
            plan,
            shape: WIDE,
            replies: (seen) => ({ bytes: renderReplies(ops, seen, structured, plan.metaContextId), cuts }),
            ending: end,
          });
          suite.guard.expectClean();
          suite.allocations.expectAtMost(ALLOCATION_LIMIT);
        },
      ),
      fuzzParameters(0.7),
    );
    // A coarse check on top of the allocation tracker: nothing piled up.
    const grown = process.memoryUsage().arrayBuffers - baseline;
    if (grown > 64 * 1024 * 1024) throw new Error(`array buffers grew by ${grown} bytes`);
  });
});
