/** One measurement of one side of a job. */
export interface Sample {
  /** The job's headline: IOPS for 4 KiB jobs, MB/s (10^6) otherwise. */
  value: number;
  MBps: number;
  p99Us?: number;
  /** Client CPU (user + system) per 10^9 bytes. */
  cpuSecondsPerGB?: number;
  /** The server's CPU over the same run, per 10^9 bytes the client moved. */
  serverCpuSecondsPerGB?: number;
  /** The server's CPU over the run's wall clock: how many cores it kept busy. */
  serverCores?: number;
}

export interface BenchJobSpec {
  rw: 'read' | 'write' | 'randread' | 'randwrite';
  bs: number;
  qd: number;
  /**
   * Seconds both sides run before counting starts (fio's ramp_time,
   * `rxbridge bench --ramp-time`): the steady state, past Node.js's JIT
   * warm-up. Absent: counting starts with the first request.
   */
  rampSeconds?: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return NaN;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}
