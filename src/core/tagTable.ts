/**
 * Values by 32-bit tag: an open-addressing hash table (linear probing,
 * deletion by backward shift, so no tombstones) over two flat arrays.
 *
 * Why not a Map: the tables of requests in flight churn with every request,
 * and V8's Map links each backing table it outgrows to its successor. Once
 * one of those tables has reached the old generation, every later table,
 * and every record they ever held, survives young collections until the
 * next full GC. On a 4 KiB read workload that promoted nearly every request
 * (1.6 MB per scavenge) in about half the runs. Here the arrays are replaced
 * only when the table grows, and the old ones are cleared.
 */
export class TagTable<T> {
  private tags: Uint32Array;
  private slots: (T | undefined)[];
  private mask: number;
  private shift: number;
  private count = 0;

  constructor(initialCapacity = 64) {
    let bits = 4;
    while (1 << bits < initialCapacity) bits++;
    this.tags = new Uint32Array(1 << bits);
    this.slots = new Array<T | undefined>(1 << bits).fill(undefined);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
  }

  get size(): number {
    return this.count;
  }

  get(tag: number): T | undefined {
    const i = this.find(tag);
    return i < 0 ? undefined : this.slots[i];
  }

  has(tag: number): boolean {
    return this.find(tag) >= 0;
  }

  /** Stores `value` (not undefined) under `tag`, an integer in [0, 2^32). */
  set(tag: number, value: T): this {
    if (tag >>> 0 !== tag) throw new RangeError(`a tag is an unsigned 32-bit integer, not ${tag}`);
    let i = this.home(tag);
    for (;;) {
      if (this.slots[i] === undefined) break;
      if (this.tags[i] === tag) {
        this.slots[i] = value;
        return this;
      }
      i = (i + 1) & this.mask;
    }
    if ((this.count + 1) * 2 > this.slots.length) {
      this.grow();
      return this.set(tag, value);
    }
    this.tags[i] = tag;
    this.slots[i] = value;
    this.count++;
    return this;
  }

  delete(tag: number): boolean {
    let hole = this.find(tag);
    if (hole < 0) return false;
    const mask = this.mask;
    // Pull later entries of the same probe run back over the hole, so every
    // entry stays reachable from its home slot without tombstones.
    for (let j = (hole + 1) & mask; this.slots[j] !== undefined; j = (j + 1) & mask) {
      const home = this.home(this.tags[j]);
      const movable = hole <= j ? home <= hole || home > j : home <= hole && home > j;
      if (movable) {
        this.tags[hole] = this.tags[j];
        this.slots[hole] = this.slots[j];
        hole = j;
      }
    }
    this.slots[hole] = undefined;
    this.count--;
    return true;
  }

  /** The values, in no particular order (a copy: the table may change while the caller walks it). */
  values(): T[] {
    const out: T[] = [];
    for (const value of this.slots) if (value !== undefined) out.push(value);
    return out;
  }

  clear(): void {
    this.slots.fill(undefined);
    this.count = 0;
  }

  /** Fibonacci hashing: consecutive tags land far apart, strided ones do not pile up. */
  private home(tag: number): number {
    return Math.imul(tag, 0x9e3779b1) >>> this.shift;
  }

  private find(tag: number): number {
    for (let i = this.home(tag); this.slots[i] !== undefined; i = (i + 1) & this.mask) {
      if (this.tags[i] === tag) return i;
    }
    return -1;
  }

  private grow(): void {
    const oldTags = this.tags;
    const oldSlots = this.slots;
    const capacity = oldSlots.length * 2;
    this.tags = new Uint32Array(capacity);
    this.slots = new Array<T | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    this.shift--;
    this.count = 0;
    for (let i = 0; i < oldSlots.length; i++) {
      const value = oldSlots[i];
      if (value !== undefined) this.set(oldTags[i], value);
    }
    oldSlots.fill(undefined);
  }
}
