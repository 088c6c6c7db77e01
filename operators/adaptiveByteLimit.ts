import { InvalidArgumentError } from '../src/core/errors.js';

/**
 * EXPERIMENTAL, deliberately simple: a bytes-in-flight budget that adapts to
 * the command lane's queueing delay, CoDel-style. The first version keeps the
 * rule small so its effect is easy to see in the lab; tune later.
 */
export interface AdaptiveWindowOptions {
  /** Queueing delay a command may see (submitted → admitted) before the budget shrinks. */
  readonly targetMs: number;
  /** Clock in milliseconds, the same one that stamps `times.submitted` (performance.now()). */
  readonly now: () => number;
  /** The budget never shrinks below this. */
  readonly minBytes: number;
  /** The budget never grows above this. */
  readonly maxBytes: number;
  /** Bytes added per command admitted within the target (default: `minBytes`). */
  readonly stepBytes?: number;
  /** Multiplier applied when a command was late (default 0.5). */
  readonly shrinkFactor?: number;
}

/**
 * Multiplicative decrease when a command waited longer than `targetMs`, at most
 * once per `targetMs` (the commands of one late burst all waited for the same
 * reason: one shrink per interval keeps the budget from collapsing); additive
 * increase for every command admitted within the target.
 */
export class AdaptiveByteLimit {
  /** The current bytes-in-flight budget. */
  limit: number;
  private lastShrinkAt = -Infinity;
  private readonly step: number;
  private readonly factor: number;

  constructor(private readonly options: AdaptiveWindowOptions, initialBytes: number) {
    const { targetMs, minBytes, maxBytes } = options;
    if (!(targetMs > 0) || !(minBytes > 0) || !(maxBytes >= minBytes)) {
      throw new InvalidArgumentError('adaptive window needs targetMs > 0 and 0 < minBytes <= maxBytes');
    }
    this.step = options.stepBytes ?? minBytes;
    this.factor = options.shrinkFactor ?? 0.5;
    if (!(this.step >= 0) || !(this.factor > 0 && this.factor < 1)) {
      throw new InvalidArgumentError('adaptive window needs stepBytes >= 0 and 0 < shrinkFactor < 1');
    }
    this.limit = Math.min(maxBytes, Math.max(minBytes, initialBytes));
  }

  /** Feeds the queueing delay of one command at the moment it is admitted. */
  observe(submittedAt: number): void {
    const { targetMs, minBytes, maxBytes, now } = this.options;
    const at = now();
    if (at - submittedAt > targetMs) {
      if (at - this.lastShrinkAt >= targetMs) {
        this.lastShrinkAt = at;
        this.limit = Math.max(minBytes, Math.floor(this.limit * this.factor));
      }
    } else {
      this.limit = Math.min(maxBytes, this.limit + this.step);
    }
  }
}

/** The `times.submitted` of a command-lane item, or undefined for anything else. */
export function commandSubmittedAt(item: unknown): number | undefined {
  const record = item as { lane?: unknown; times?: { submitted?: unknown } } | null | undefined;
  if (record?.lane !== 'command') return undefined;
  const submitted = record.times?.submitted;
  return typeof submitted === 'number' && !Number.isNaN(submitted) ? submitted : undefined;
}
