/**
 * What one lab run produces: per architecture, the figures of the summary
 * table and the time series the HTML report charts. `--json` prints the same
 * object without `series` (see `toJsonReport`); scripts rely on `scenario`,
 * `device`, `results[].arch`, `read`/`write` `{ MBps, p50Ms, p99Ms, maxMs }`,
 * `longestStallMs` and `stallCause`.
 */

export type ArchName = 'lockstep' | 'sendqueue' | 'fifo' | 'reactive';

/** The device the lab talked to. */
export interface LabDevice {
  /** Preset name ('gigabit', …) for the embedded emulator, or 'external'. */
  name: string;
  /** The NBD URI connected to. */
  uri: string;
  /** True when the lab started the device itself (its Recv-Q is then visible to ss). */
  embedded: boolean;
  /** Host→device link in MB/s (10^6 bytes/s); null when unlimited or unknown. */
  readMBps?: number | null;
  /** Device→host link in MB/s; null when unlimited or unknown. */
  writeMBps?: number | null;
  serviceTimeMs?: number;
  parallel?: number;
  /** Export size in bytes. */
  sizeBytes?: number;
}

/** Throughput and latency of one request class over the measured interval. */
export interface OpResult {
  /** Payload megabytes (10^6 bytes) per second. */
  MBps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Requests completed. */
  count: number;
}

/** Where request time went, btt-style: queue → dispatch → reply → completion, means in ms. */
export interface StageBreakdown {
  /** Submitted → handed to the kernel (our own queueing). */
  q2dMs: number;
  /** Dispatched → first reply byte (kernel, wire, device). */
  d2rMs: number;
  /** First reply byte → completed (receiving the payload, delivering it). */
  r2cMs: number;
}

/** [time since start in ms, read latency in ms]. */
export type ReadPoint = [tMs: number, latencyMs: number];
/** [time since start in ms, read MB/s, write MB/s] over the preceding sampling interval. */
export type ThroughputPoint = [tMs: number, readMBps: number, writeMBps: number];
/**
 * [time since start in ms, bytes queued in the client's own queues, bytes in
 * the socket's user-space write buffer, kernel Send-Q (in flight plus not
 * sent), kernel bytes in flight (unacked), the device's Recv-Q]. The three
 * kernel figures are null when `ss` is unavailable; deviceRecvQ is null for a
 * remote device.
 */
export type BytesPoint = [
  tMs: number,
  engineQueued: number,
  socketBuffered: number,
  kernelSendQ: number | null,
  kernelUnacked: number | null,
  deviceRecvQ: number | null,
];

export interface ArchSeries {
  /** One point per read, downsampled to a bounded count keeping each bucket's maximum. */
  reads: ReadPoint[];
  throughput: ThroughputPoint[];
  bytes: BytesPoint[];
}

export interface ArchResult {
  arch: ArchName;
  /** A variant's name when one architecture runs with several settings (sweep); defaults to `arch`. */
  label?: string;
  read: OpResult;
  write: OpResult;
  /** Longest time a request class went without a completion while requests were pending. */
  longestStallMs: number;
  /** Cause attributed to that stall: 'send-backlog', 'device', 'socket-backpressure', 'slow-consumer', 'unknown', or 'none'. */
  stallCause: string;
  /** Write syscalls (socket.write calls, or writev batches) per MB of payload sent. */
  writesPerMB: number;
  /** From `process.resourceUsage()`, over this architecture's run. */
  contextSwitches: { voluntary: number; involuntary: number };
  peakRssMB: number;
  /** Stage means over the reads (the interactive requests). */
  stages: StageBreakdown;
  /** Stage means over the writes, when measured. */
  writeStages?: StageBreakdown;
  /** Retransmitted segments seen by ss on the client socket, when available. */
  retransmits?: number;
  series: ArchSeries;
}

export interface LabReport {
  scenario: string;
  seed: number;
  device: LabDevice;
  /** Measured duration per architecture. */
  durationMs: number;
  /** False when ss was missing: the kernel columns of `series.bytes` are null. */
  kernelSampled?: boolean;
  /** Free-form notes shown under the report's table (e.g. "ss unavailable"). */
  notes?: string[];
  results: ArchResult[];
}

/** An ArchResult as `--json` prints it. */
export type ArchResultJson = Omit<ArchResult, 'series'>;
export type LabReportJson = Omit<LabReport, 'results'> & { results: ArchResultJson[] };
