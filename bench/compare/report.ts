/**
 * The comparison as Markdown: one row per job with the medians of both
 * sides and their ratio, the rounds' raw values, the machine and the command.
 */
import type { Machine } from './machine.js';
import { median, type Sample } from './sample.js';

export interface JobOutcome {
  job: string;
  unit: 'IOPS' | 'MB/s';
  peer: string;
  peerSamples: Sample[];
  oursSamples: Sample[];
}

export interface CompareReport {
  date: string;
  command: string;
  machine: Machine;
  setup: string;
  jobs: JobOutcome[];
  /** Jobs whose "ours" side is a reference client, not rxbridge: shown in a table of their own. */
  references: JobOutcome[];
  ceilingMBps: number[];
  notes: string[];
}

function fmt(n: number | undefined, unit?: string): string {
  if (n === undefined || Number.isNaN(n)) return '—';
  const text = n >= 1000 ? Math.round(n).toLocaleString('en-US') : n >= 10 ? n.toFixed(0) : n.toFixed(2);
  return unit ? `${text} ${unit}` : text;
}

function medianOf(samples: Sample[], pick: (s: Sample) => number | undefined): number | undefined {
  const values = samples.map(pick).filter((v): v is number => v !== undefined);
  return values.length > 0 ? median(values) : undefined;
}

function ratio(ours: number | undefined, peer: number | undefined): string {
  return ours === undefined || peer === undefined || peer === 0 ? '—' : `${(ours / peer).toFixed(2)}×`;
}

/** Each round's A/B pair ran back to back: the median of their ratios is less exposed to load drifting between rounds. */
function roundRatios(j: JobOutcome): string {
  const ratios = j.peerSamples.map((p, i) => (j.oursSamples[i]?.value ?? NaN) / p.value).filter((x) => Number.isFinite(x));
  return ratios.length > 0 ? `${median(ratios).toFixed(2)}×` : '—';
}

function row(j: JobOutcome): string {
  const peer = medianOf(j.peerSamples, (s) => s.value);
  const ours = medianOf(j.oursSamples, (s) => s.value);
  const peerCpu = medianOf(j.peerSamples, (s) => s.cpuSecondsPerGB);
  const oursCpu = medianOf(j.oursSamples, (s) => s.cpuSecondsPerGB);
  return (
    `| ${j.job} | ${j.peer} | ${fmt(peer, j.unit)} | ${fmt(ours, j.unit)} | **${ratio(ours, peer)}** | ${roundRatios(j)} | ` +
    `${fmt(medianOf(j.peerSamples, (s) => s.p99Us))} | ${fmt(medianOf(j.oursSamples, (s) => s.p99Us))} | ` +
    `${fmt(peerCpu)} | ${fmt(oursCpu)} | ${ratio(oursCpu, peerCpu)} |`
  );
}

/** What the server spent on each side's run: the same bytes should cost it the same. */
function serverRow(j: JobOutcome): string | undefined {
  const peer = medianOf(j.peerSamples, (s) => s.serverCpuSecondsPerGB);
  const ours = medianOf(j.oursSamples, (s) => s.serverCpuSecondsPerGB);
  if (peer === undefined && ours === undefined) return undefined;
  return (
    `| ${j.job} | ${j.peer} | ${fmt(peer)} | ${fmt(ours)} | ${ratio(ours, peer)} | ` +
    `${fmt(medianOf(j.peerSamples, (s) => s.serverCores))} | ${fmt(medianOf(j.oursSamples, (s) => s.serverCores))} |`
  );
}

export function renderReport(r: CompareReport): string {
  const m = r.machine;
  const lines = [
    '# Benchmarks: rxbridge against the C peers',
    '',
    `Generated ${r.date} by \`${r.command}\`.`,
    '',
    `- Machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB RAM, ${m.kernel}; load average at start ${m.loadAverage}`,
    `- Versions: Node.js ${m.versions.node}, ${m.versions.fio}, ${m.versions.nbdkit}, ${m.versions.nbdcopy}`,
    `- ${r.setup}`,
    '',
    '| job | peer | peer | rxbridge | rxbridge / peer | round ratios (median) | p99 µs peer | p99 µs rxbridge | CPU s/GB peer | CPU s/GB rxbridge | CPU ratio |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  lines.push(...r.jobs.map(row));
  lines.push(`| raw Node.js socket, 2 processes | — | — | ${fmt(median(r.ceilingMBps), 'MB/s')} | — | — | — | — | — | — | — |`);
  if (r.references.length > 0) {
    lines.push(
      '',
      'Reference clients, each run right after the pair above in every round and set against the same peer run:',
      '',
      '| job | peer | peer | client | client / peer | round ratios (median) | p99 µs peer | p99 µs client | CPU s/GB peer | CPU s/GB client | CPU ratio |',
      '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
      ...r.references.map(row),
    );
  }
  const serverRows = [...r.jobs, ...r.references].map(serverRow).filter((x): x is string => x !== undefined);
  if (serverRows.length > 0) {
    lines.push(
      '',
      'The server (nbdkit) in the same runs: its CPU per GB the client moved, and the cores it kept busy:',
      '',
      '| job | peer | server CPU s/GB, peer | server CPU s/GB, rxbridge or client | ratio | server cores, peer | server cores, rxbridge or client |',
      '|---|---|--:|--:|--:|--:|--:|',
      ...serverRows,
    );
  }
  lines.push('', 'Rounds (peer / rxbridge or client, headline unit):', '');
  for (const j of [...r.jobs, ...r.references]) {
    const pairs = j.peerSamples.map((p, i) => `${fmt(p.value)} / ${fmt(j.oursSamples[i]?.value)}`);
    lines.push(`- ${j.job}: ${pairs.join(' · ')}`);
  }
  lines.push(`- socket ceiling: ${r.ceilingMBps.map((v) => fmt(v)).join(' · ')}`);
  if (r.notes.length > 0) lines.push('', ...r.notes.map((n) => `- ${n}`));
  return lines.join('\n') + '\n';
}
