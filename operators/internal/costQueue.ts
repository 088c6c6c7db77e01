/**
 * A growable ring-buffer FIFO of items with a numeric cost each, kept in two
 * parallel arrays so the hot path allocates nothing per item (no `{item, cost}`
 * record) and `shift()` is O(1) (unlike `Array#shift`, which is O(n) on long
 * queues; see PERF-NOTES.md item 4).
 *
 * The cost is stored at `push` time so the operators subtract exactly what they
 * added, even if a user-supplied cost function is not stable.
 */
export class CostQueue<T> {
  private items: (T | undefined)[];
  private costs: Float64Array;
  private head = 0;
  private count = 0;
  /** Sum of the costs of the queued items. */
  totalCost = 0;

  constructor(initialCapacity = 16) {
    let capacity = 1;
    while (capacity < initialCapacity) capacity *= 2;
    this.items = new Array<T | undefined>(capacity);
    this.costs = new Float64Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  push(item: T, cost: number): void {
    if (this.count === this.items.length) this.grow();
    const index = (this.head + this.count) & (this.items.length - 1);
    this.items[index] = item;
    this.costs[index] = cost;
    this.count++;
    this.totalCost += cost;
  }

  /** The oldest item; only valid while `length > 0`. */
  peek(): T {
    return this.items[this.head] as T;
  }

  /** The cost stored with the oldest item; only valid while `length > 0`. */
  peekCost(): number {
    return this.costs[this.head];
  }

  /** Removes the oldest item (only valid while `length > 0`) and returns it. */
  shift(): T {
    const item = this.items[this.head] as T;
    this.totalCost -= this.costs[this.head];
    this.items[this.head] = undefined; // let the item be collected
    this.head = (this.head + 1) & (this.items.length - 1);
    this.count--;
    // Float sums drift; an empty queue holds nothing.
    if (this.count === 0) this.totalCost = 0;
    return item;
  }

  clear(): void {
    this.items.fill(undefined);
    this.head = 0;
    this.count = 0;
    this.totalCost = 0;
  }

  private grow(): void {
    const oldItems = this.items;
    const oldCosts = this.costs;
    const capacity = oldItems.length * 2;
    const items = new Array<T | undefined>(capacity);
    const costs = new Float64Array(capacity);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) & (oldItems.length - 1);
      items[i] = oldItems[from];
      costs[i] = oldCosts[from];
    }
    this.items = items;
    this.costs = costs;
    this.head = 0;
  }
}
