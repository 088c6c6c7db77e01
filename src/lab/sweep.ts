/**
 * The sweep: the reactive engine on the mixed scenario under settings a
 * bridge builder would try — window size (bytes in flight), request split
 * size, batching, TCP_NODELAY — one label each.
 */
import type { NbdOptions } from '../nbd/client/types.js';

export interface LabVariant {
  readonly label: string;
  readonly options: NbdOptions;
}

const MiB = 1024 * 1024;
const KiB = 1024;

export const SWEEP_VARIANTS: readonly LabVariant[] = [
  { label: 'window 512K', options: { maxBytes: 512 * KiB } },
  { label: 'window 2M', options: { maxBytes: 2 * MiB } },
  { label: 'window 8M', options: { maxBytes: 8 * MiB } },
  { label: 'window 32M', options: { maxBytes: 32 * MiB } },
  { label: 'split 64K', options: { maxRequestBytes: 64 * KiB } },
  { label: 'split 1M', options: { maxRequestBytes: MiB } },
  { label: 'no batching', options: { batchTargetBytes: 1, copyBelow: 0 } },
  { label: 'nagle on', options: { noDelay: false } },
];
