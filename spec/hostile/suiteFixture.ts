/**
 * What every generated hostile-server suite sets up: one hostile server for
 * the suite, and process-wide guards (uncaught errors, allocations sized by
 * a peer) around its cases. Call inside `describe`.
 */
import fc from 'fast-check';
import { HostileServer, type Ending } from './harness.js';
import { AllocationTracker, ProcessGuard } from './invariants.js';

export interface HostileSuite {
  readonly server: HostileServer;
  readonly guard: ProcessGuard;
  readonly allocations: AllocationTracker;
}

export function hostileSuite(): HostileSuite {
  const state: { server?: HostileServer; guard?: ProcessGuard; allocations?: AllocationTracker } = {};
  before(async () => {
    state.server = await HostileServer.start();
    state.guard = new ProcessGuard();
    state.allocations = new AllocationTracker();
  });
  after(async () => {
    state.allocations?.dispose();
    state.guard?.dispose();
    await state.server?.close();
  });
  return {
    get server() { return state.server!; },
    get guard() { return state.guard!; },
    get allocations() { return state.allocations!; },
  };
}

/** How a generated case ends: the server closes, resets, or goes silent. */
export const endingArb: fc.Arbitrary<Ending> = fc.oneof(
  { weight: 4, arbitrary: fc.constant('end' as const) },
  { weight: 2, arbitrary: fc.constant('reset' as const) },
  { weight: 1, arbitrary: fc.constant('hold' as const) },
);
