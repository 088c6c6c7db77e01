import { InvalidArgumentError } from './errors.js';

export interface LatencyBudgetOptions {
  /** Queueing delay the command lane may see before the budget shrinks (CoDel's target). */
  targetMs: number;
  /** The budget never shrinks below this (at least one large request must fit). */
  minBytes: number;
  /** The budget never grows above this. */
  maxBytes: number;
  /** Bytes added per command well within the target. Default minBytes / 4. */
  stepBytes?: number;
  /** Multiplier applied when a command was late. Default 0.7. */
  shrinkFactor?: number;
  /** Commands that hold at most this many bytes in flight are the probes the budget listens to. Default minBytes / 2. */
  probeMaxBytes?: number;
  /** The baseline (the smallest latency seen) is forgotten after this long, so it follows a device that slows down. Default 10 s. */
  baselineMs?: number;
}

/**
 * A bytes-in-flight budget driven by the command lane's queueing delay.
 *
 * The delay a small command sees from submission to its first reply byte is
 * its service time plus the time it spent behind bytes already handed to the
 * kernel (which nobody can reorder). The service time is estimated as the
 * smallest latency seen lately (like CoDel's minimum sojourn, BBR's min RTT);
 * what exceeds it is queueing. Over the target, the budget shrinks
 * multiplicatively (once per target interval, as the commands of one burst
 * were late for the same reason); well under it, it grows additively.
 * Slow devices therefore keep their full budget, and only a queue we built
 * ourselves makes it shrink.
 *
 * Only small commands are probes. A large read's latency is mostly the large
 * reads ahead of it, a queue its caller asked for by choosing the depth, and
 * on a busy machine one scheduling hiccup made it shrink a pure 256 KiB read
 * stream to one request in flight. A small command behind the same bytes is
 * as late, so mixed traffic is still held to the target.
 */
export class LatencyBudget {
  /** The current bytes-in-flight budget: read by the window on each admission. */
  limit: number;
  private baseline = Infinity;
  private baselineSince = -Infinity;
  private nextBaseline = Infinity;
  private lastShrinkAt = -Infinity;
  private readonly step: number;
  private readonly factor: number;
  private readonly baselineMs: number;
  /** Commands holding more bytes than this are not observed (see the class comment). */
  readonly probeMaxBytes: number;

  constructor(private readonly options: LatencyBudgetOptions, initialBytes = options.maxBytes) {
    const { targetMs, minBytes, maxBytes } = options;
    if (!(targetMs > 0) || !(minBytes > 0) || !(maxBytes >= minBytes)) {
      throw new InvalidArgumentError('a latency budget needs targetMs > 0 and 0 < minBytes <= maxBytes');
    }
    this.step = options.stepBytes ?? Math.ceil(minBytes / 4);
    this.factor = options.shrinkFactor ?? 0.7;
    this.baselineMs = options.baselineMs ?? 10_000;
    this.probeMaxBytes = options.probeMaxBytes ?? Math.floor(minBytes / 2);
    if (!(this.factor > 0 && this.factor < 1)) throw new InvalidArgumentError('shrinkFactor must be in (0, 1)');
    this.limit = Math.min(maxBytes, Math.max(minBytes, initialBytes));
  }

  /** Feeds one command's latency (submitted → first reply byte), measured at `now`. */
  observe(latencyMs: number, now: number): void {
    // Keep the smallest latency of the current and the previous baseline period.
    if (now - this.baselineSince > this.baselineMs) {
      this.baseline = this.nextBaseline;
      this.nextBaseline = latencyMs;
      this.baselineSince = now;
    } else if (latencyMs < this.nextBaseline) {
      this.nextBaseline = latencyMs;
    }
    if (latencyMs < this.baseline) this.baseline = latencyMs;
    const queueing = latencyMs - this.baseline;
    const { targetMs, minBytes, maxBytes } = this.options;
    if (queueing > targetMs) {
      if (now - this.lastShrinkAt >= targetMs) {
        this.lastShrinkAt = now;
        this.limit = Math.max(minBytes, Math.floor(this.limit * this.factor));
      }
    } else if (queueing < targetMs / 2) {
      this.limit = Math.min(maxBytes, this.limit + this.step);
    }
  }
}
