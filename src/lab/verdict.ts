/**
 * The lab's answer in a few plain sentences: which architecture paused, for
 * how long and why, and how the reactive engine compares.
 */
import type { ArchResult, LabReport } from './types.js';

const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`);

export function verdict(report: LabReport): string[] {
  const lines: string[] = [];
  const by = (arch: string) => report.results.find((r) => r.arch === arch && r.label === undefined);
  const worst = [...report.results].sort((a, b) => b.longestStallMs - a.longestStallMs)[0];
  if (worst && worst.longestStallMs > 0) {
    lines.push(`longest pause: ${worst.label ?? worst.arch}, ${ms(worst.longestStallMs)} (cause: ${worst.stallCause})`);
  }
  const reactive = by('reactive');
  const fifo = by('fifo');
  if (reactive && fifo && reactive.read.count > 0 && fifo.read.count > 0) {
    const ratio = fifo.read.p99Ms / Math.max(reactive.read.p99Ms, 0.001);
    lines.push(`read p99: reactive ${ms(reactive.read.p99Ms)} vs fifo ${ms(fifo.read.p99Ms)} (${ratio.toFixed(1)}x lower); reactive longest read stall ${ms(reactive.longestStallMs)}`);
  }
  if (reactive) {
    const classics = report.results.filter((r) => r.arch !== 'reactive');
    const best = classics.sort((a, b) => b.write.MBps - a.write.MBps)[0] as ArchResult | undefined;
    if (best && best.write.MBps > 0) {
      lines.push(`write throughput: reactive ${reactive.write.MBps.toFixed(1)} MB/s, best classic (${best.arch}) ${best.write.MBps.toFixed(1)} MB/s (${(reactive.write.MBps / best.write.MBps).toFixed(2)}x)`);
    }
  }
  return lines;
}
