/**
 * One caller thread of a workload: keeps up to `depth` requests outstanding
 * on a LabClient, issuing the next one when a request completes and its own
 * previous call has returned (a lockstep call blocks its thread until sent).
 */
import { mulberry32 } from '../device/model.js';
import type { LabClient } from './arch/types.js';
import type { GapTracker } from './gapTracker.js';
import type { DriverSpec } from './scenarios.js';

const now = (): number => performance.now();

export class LoadDriver {
  /** The first error a request failed with; the driver stops issuing after it. */
  error: Error | undefined;
  private outstanding = 0;
  /** The thread's last call has returned: it may call again. */
  private free = true;
  /** A call is on the stack (returned may fire inside it). */
  private inCall = false;
  private running = false;
  private cursor: number;
  private readonly random: () => number;
  private readonly payload: Buffer;
  private idle: (() => void) | undefined;

  constructor(
    private readonly client: LabClient,
    private readonly spec: DriverSpec,
    seed: number,
    private readonly reads: GapTracker,
    private readonly writes: GapTracker,
  ) {
    this.random = mulberry32(seed);
    const blocks = Math.max(1, Math.floor(spec.region.length / spec.size));
    this.cursor = Math.floor(this.random() * blocks) * spec.size;
    this.payload = Buffer.allocUnsafe(spec.readFraction < 1 ? spec.size : 0);
    for (let i = 0; i < this.payload.length; i += 4) this.payload.writeUInt32LE((this.random() * 2 ** 32) >>> 0, i);
  }

  start(): void {
    this.running = true;
    this.pump();
  }

  /** Stops issuing; resolves once every outstanding request has completed. */
  stop(): Promise<void> {
    this.running = false;
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => (this.idle = resolve));
  }

  private pump(): void {
    if (this.inCall) return;
    while (this.running && this.free && this.outstanding < this.spec.depth) {
      this.free = false;
      this.outstanding++;
      this.inCall = true;
      try {
        this.issue();
      } finally {
        this.inCall = false;
      }
    }
  }

  private issue(): void {
    const { spec } = this;
    const offset = spec.region.start + this.nextOffset();
    if (spec.readFraction >= 1 || (spec.readFraction > 0 && this.random() < spec.readFraction)) {
      this.reads.started(now());
      this.client.read(offset, spec.size, this.onReadDone, this.onReturned);
    } else {
      this.writes.started(now());
      this.client.write(offset, this.payload, this.onWriteDone, this.onReturned);
    }
  }

  private nextOffset(): number {
    const { size, region, pattern } = this.spec;
    const blocks = Math.max(1, Math.floor(region.length / size));
    if (pattern === 'random') return Math.floor(this.random() * blocks) * size;
    const offset = this.cursor;
    this.cursor = (this.cursor + size) % (blocks * size);
    return offset;
  }

  private readonly onReturned = (): void => {
    this.free = true;
    this.pump();
  };

  private readonly onReadDone = (err: Error | null): void => {
    this.reads.finished(now());
    this.completed(err);
  };

  private readonly onWriteDone = (err: Error | null): void => {
    this.writes.finished(now());
    this.completed(err);
  };

  private completed(err: Error | null): void {
    this.outstanding--;
    if (err !== null && this.error === undefined) {
      this.error = err;
      this.running = false;
    }
    if (this.outstanding === 0 && !this.running) {
      const idle = this.idle;
      this.idle = undefined;
      idle?.();
      return;
    }
    this.pump();
  }
}
