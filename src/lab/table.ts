/**
 * The lab's plain-text summary: one table per scenario, for the terminal.
 */
import type { ArchResultJson, LabReportJson } from './types.js';

interface Column {
  title: string;
  /** Left-aligned (text) or right-aligned (numbers). */
  left?: boolean;
  cell: (r: ArchResultJson) => string;
}

const COLUMNS: readonly Column[] = [
  { title: 'architecture', left: true, cell: (r) => r.label ?? r.arch },
  { title: 'read MB/s', cell: (r) => fmtRate(r.read.MBps) },
  { title: 'write MB/s', cell: (r) => fmtRate(r.write.MBps) },
  { title: 'read p50 ms', cell: (r) => fmt(r.read.p50Ms, 3) },
  { title: 'read p99 ms', cell: (r) => fmt(r.read.p99Ms, 3) },
  { title: 'read max ms', cell: (r) => fmt(r.read.maxMs, 1) },
  { title: 'write p99 ms', cell: (r) => fmt(r.write.p99Ms, 1) },
  { title: 'longest stall', left: true, cell: (r) => (r.longestStallMs > 0 ? `${fmt(r.longestStallMs, 0)} ms ${r.stallCause}` : 'none') },
  { title: 'writes/MB', cell: (r) => fmt(r.writesPerMB, 1) },
  { title: 'ctx sw vol/invol', cell: (r) => `${r.contextSwitches.voluntary}/${r.contextSwitches.involuntary}` },
  { title: 'peak RSS MB', cell: (r) => fmt(r.peakRssMB, 0) },
];

/**
 * Renders each scenario as a heading line and an aligned table.
 * @param report One report or several (a full `LabReport` works too: `series` is ignored).
 * @return Text ending in a newline.
 */
export function renderTable(report: LabReportJson | readonly LabReportJson[]): string {
  const reports = Array.isArray(report) ? (report as readonly LabReportJson[]) : [report as LabReportJson];
  return reports.map(renderOne).join('\n');
}

function renderOne(report: LabReportJson): string {
  const d = report.device;
  const heading = `scenario ${report.scenario} · device ${d.name} (${d.uri}) · seed ${report.seed} · ${fmt(report.durationMs / 1000, 1)} s per architecture`;
  const rows = [COLUMNS.map((c) => c.title), ...report.results.map((r) => COLUMNS.map((c) => c.cell(r)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: readonly string[]): string =>
    row.map((cell, i) => (COLUMNS[i]!.left ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const notes = [...(report.notes ?? [])];
  if (report.kernelSampled === false) notes.push('ss (iproute2) unavailable: kernel queues not sampled');
  return [heading, line(rows[0]!), rule, ...rows.slice(1).map(line), ...notes.map((n) => `note: ${n}`)].join('\n') + '\n';
}

/** Two decimals below 10 MB/s, so a trickle of slow reads does not print as 0.0. */
function fmtRate(mbps: number): string {
  return fmt(mbps, Math.abs(mbps) < 10 ? 2 : 1);
}

function fmt(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}
