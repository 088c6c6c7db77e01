/**
 * The lab's named workloads, as load drivers: each driver is one caller
 * thread keeping up to `depth` requests outstanding.
 */
import { InvalidArgumentError } from '../core/errors.js';

export type ScenarioName = 'mixed' | 'reads' | 'writes' | 'small';
export const SCENARIOS: readonly ScenarioName[] = ['mixed', 'reads', 'writes', 'small'];

export interface DriverSpec {
  /** 'writer', 'reader', 'io': names the thread in diagnostics. */
  name: string;
  /** Requests this thread keeps outstanding (1: one at a time). */
  depth: number;
  /** Bytes per request. */
  size: number;
  /** Share of reads, 0..1 (the rest are writes). */
  readFraction: number;
  /** Offsets stay within [start, start + length). */
  region: { start: number; length: number };
  /** Sequential from a seeded random start (wrapping), or random size-aligned offsets. */
  pattern: 'sequential' | 'random';
}

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * The drivers of a scenario for an export of `exportSize` bytes.
 *
 * - `mixed`: a bulk writer keeping 128 writes of 1 MiB outstanding (an OS
 *   block queue copying a file), beside an interactive reader issuing 64 KiB
 *   reads one at a time (a player reading a stream), in separate regions.
 * - `reads`: sequential 256 KiB reads at depth 16.
 * - `writes`: the bulk writer alone.
 * - `small`: 4 KiB random reads and writes (half each) at depth 32.
 */
export function scenarioDrivers(name: ScenarioName, exportSize: number): DriverSpec[] {
  // Regions are bounded so the emulator's memory stays small whatever the export size.
  const region = (index: number, want: number): { start: number; length: number } => {
    const length = Math.min(want, Math.floor(exportSize / 2 / MiB) * MiB);
    if (length < MiB) throw new InvalidArgumentError(`the export is too small for the lab (${exportSize} bytes; at least 2 MiB)`);
    return { start: index * length, length };
  };
  const bulkWriter: DriverSpec = { name: 'writer', depth: 128, size: MiB, readFraction: 0, region: region(0, 128 * MiB), pattern: 'sequential' };
  switch (name) {
    case 'mixed':
      return [bulkWriter, { name: 'reader', depth: 1, size: 64 * KiB, readFraction: 1, region: region(1, 128 * MiB), pattern: 'sequential' }];
    case 'reads':
      return [{ name: 'reader', depth: 16, size: 256 * KiB, readFraction: 1, region: region(0, 256 * MiB), pattern: 'sequential' }];
    case 'writes':
      return [bulkWriter];
    case 'small':
      return [{ name: 'io', depth: 32, size: 4 * KiB, readFraction: 0.5, region: region(0, 64 * MiB), pattern: 'random' }];
    default:
      throw new InvalidArgumentError(`unknown scenario ${JSON.stringify(name)} (known: ${SCENARIOS.join(', ')})`);
  }
}
