/**
 * Live progress while the lab runs: on a terminal, one cli-progress bar per
 * architecture (elapsed time, current throughput, worst read latency so far);
 * otherwise (CI logs, pipes) a plain line per architecture now and then.
 */
import cliProgress from 'cli-progress';

/** What one architecture has done so far. */
export interface ArchProgress {
  elapsedMs: number;
  /** Throughput over the last sampling interval. */
  readMBps: number;
  writeMBps: number;
  /** Worst read latency since the architecture started. */
  worstReadMs: number;
}

export interface LabProgressOptions {
  /** Measured time per architecture: the bars' full length. */
  durationMs: number;
  /** Where to draw (the lab passes stderr under `--json`); default process.stdout. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Minimum time between plain lines for one architecture when not on a terminal; default 5000 ms. */
  plainIntervalMs?: number;
  now?: () => number;
}

const FORMAT = ' {arch} |{bar}| {elapsed}/{secs}s | read {read} MB/s | write {write} MB/s | worst read {worst} ms';

export class LabProgress {
  private readonly multibar: cliProgress.MultiBar | undefined;
  private readonly bars = new Map<string, cliProgress.SingleBar>();
  private readonly lastLine = new Map<string, number>();
  private readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly durationMs: number;
  private readonly plainIntervalMs: number;
  private readonly now: () => number;
  private readonly width: number;

  /** @param labels The architectures (or variants) in the order they will run. */
  constructor(labels: readonly string[], options: LabProgressOptions) {
    this.stream = options.stream ?? process.stdout;
    this.durationMs = options.durationMs;
    this.plainIntervalMs = options.plainIntervalMs ?? 5000;
    this.now = options.now ?? (() => performance.now());
    this.width = Math.max(0, ...labels.map((l) => l.length));
    if (this.stream.isTTY === true) {
      this.multibar = new cliProgress.MultiBar(
        { format: FORMAT, stream: this.stream, hideCursor: true, clearOnComplete: false, barsize: 24, fps: 5 },
        cliProgress.Presets.shades_classic,
      );
      for (const label of labels) this.bars.set(label, this.multibar.create(Math.ceil(this.durationMs), 0, this.payload(label, undefined)));
    }
  }

  /** Reports an architecture's progress; cheap enough to call a few times a second. */
  update(label: string, p: ArchProgress): void {
    const bar = this.bars.get(label);
    if (bar !== undefined) {
      bar.update(Math.min(Math.round(p.elapsedMs), Math.ceil(this.durationMs)), this.payload(label, p));
      return;
    }
    if (this.multibar !== undefined) return;
    const t = this.now();
    const last = this.lastLine.get(label);
    if (last !== undefined && t - last < this.plainIntervalMs) return;
    this.lastLine.set(label, t);
    this.stream.write(this.plainLine(label, p) + '\n');
  }

  /** Marks an architecture done, with its final figures (always printed when not on a terminal). */
  finish(label: string, p: ArchProgress): void {
    const bar = this.bars.get(label);
    if (bar !== undefined) {
      bar.update(Math.ceil(this.durationMs), this.payload(label, { ...p, elapsedMs: this.durationMs }));
      return;
    }
    if (this.multibar === undefined) this.stream.write(this.plainLine(label, p) + ' (done)\n');
  }

  /** Stops redrawing and restores the cursor. Call once, at the end (also on error). */
  stop(): void {
    this.multibar?.stop();
  }

  private payload(label: string, p: ArchProgress | undefined): Record<string, string> {
    return {
      arch: label.padEnd(this.width),
      elapsed: ((p?.elapsedMs ?? 0) / 1000).toFixed(1).padStart(5),
      secs: (this.durationMs / 1000).toFixed(0),
      read: (p?.readMBps ?? 0).toFixed(1).padStart(7),
      write: (p?.writeMBps ?? 0).toFixed(1).padStart(7),
      worst: (p?.worstReadMs ?? 0).toFixed(1).padStart(8),
    };
  }

  private plainLine(label: string, p: ArchProgress): string {
    const x = this.payload(label, p);
    return `[lab] ${x.arch}  ${x.elapsed}/${x.secs} s  read ${x.read} MB/s  write ${x.write} MB/s  worst read ${x.worst} ms`;
  }
}
