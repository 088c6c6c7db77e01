import { InvalidArgumentError } from '../core/errors.js';

/** Milliseconds from some fixed origin; `performance.now` by default. */
export type Clock = () => number;

/**
 * A token bucket that paces bytes: `rate` bytes per second refill it, up to
 * `burst` bytes. {@link take} always takes: a shortfall becomes debt, and the
 * return value says how long to wait until that debt is repaid, so the caller
 * simply waits before letting the bytes pass. Later takes pay the debt first,
 * which keeps the long-run rate exact whatever the sizes taken.
 *
 * An infinite rate never waits.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly rate: number,
    readonly burst: number = defaultBurst(rate),
    private readonly now: Clock = () => performance.now(),
  ) {
    if (!(rate > 0)) throw new InvalidArgumentError(`rate must be positive (Infinity for no pacing), got ${rate}`);
    if (!(burst >= 0) || !Number.isFinite(burst)) throw new InvalidArgumentError(`burst must be a finite non-negative number, got ${burst}`);
    this.tokens = burst;
    this.last = now();
  }

  /** True when this bucket never makes anyone wait. */
  get unlimited(): boolean {
    return this.rate === Infinity;
  }

  /** Takes `bytes` tokens; returns the milliseconds to wait before those bytes may pass (0 if available). */
  take(bytes: number): number {
    if (this.rate === Infinity) return 0;
    this.refill();
    this.tokens -= bytes;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.rate;
  }

  /** Milliseconds until the bucket is out of debt (0 if it is not), without taking anything. */
  waitMs(): number {
    if (this.rate === Infinity) return 0;
    this.refill();
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.rate;
  }

  private refill(): void {
    const t = this.now();
    const elapsed = t - this.last;
    this.last = t;
    if (elapsed > 0) this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.rate) / 1000);
  }
}

/** 10 ms worth of bytes, at least 64 KiB: smooth pacing without a timer per small request. */
export function defaultBurst(rate: number): number {
  if (rate === Infinity) return 0;
  return Math.max(64 * 1024, Math.round(rate / 100));
}
