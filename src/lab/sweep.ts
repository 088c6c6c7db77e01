/**
 * The sweep: the reactive engine on the mixed scenario under settings a
 * bridge builder would try — the adaptive window against fixed ones (bytes in
 * flight), request split size, batching, TCP_NODELAY — one label each.
 */
import type { NbdOptions } from '../nbd/client/types.js';

export interface LabVariant {
  readonly label: string;
  readonly options: NbdOptions;
}

const MiB = 1024 * 1024;
const KiB = 1024;

export const SWEEP_VARIANTS: readonly LabVariant[] = [
  { label: 'adaptive (default)', options: {} },
  { label: 'fixed window 1M', options: { maxBytes: MiB, latencyTargetMs: 0 } },
  { label: 'fixed window 8M', options: { maxBytes: 8 * MiB, latencyTargetMs: 0 } },
  { label: 'fixed window 32M', options: { maxBytes: 32 * MiB, latencyTargetMs: 0 } },
  { label: 'split 64K', options: { maxRequestBytes: 64 * KiB } },
  { label: 'split 1M', options: { maxRequestBytes: MiB } },
  { label: 'no batching', options: { batchTargetBytes: 1, freeFlowBytes: 0, copyBelow: 0 } },
  { label: 'narrow send-ahead only', options: { freeFlowBytes: 0 } },
  { label: 'nagle on', options: { noDelay: false } },
];
