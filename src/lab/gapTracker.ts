/**
 * Finds the longest stall of one request class: the longest time without a
 * completion while at least one request of the class was pending. O(1) per
 * event; fed by the load drivers as requests start and finish.
 */
export class GapTracker {
  private pending = 0;
  /** When the current wait began: the last completion, or the submission that ended an idle spell. */
  private since = 0;
  /** The longest gap so far, [start, end] in performance.now() ms. */
  longestStart = 0;
  longestEnd = 0;

  get longestMs(): number {
    return this.longestEnd - this.longestStart;
  }

  started(now: number): void {
    if (this.pending++ === 0) this.since = now;
  }

  finished(now: number): void {
    if (now - this.since > this.longestMs) {
      this.longestStart = this.since;
      this.longestEnd = now;
    }
    this.since = now;
    this.pending--;
  }

  /** At the end of a run: a wait still going counts up to `now`. */
  close(now: number): void {
    if (this.pending > 0 && now - this.since > this.longestMs) {
      this.longestStart = this.since;
      this.longestEnd = now;
    }
  }
}
