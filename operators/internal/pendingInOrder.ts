import { TagTable } from '../../src/core/tagTable.js';

/**
 * Requests pending in submission order, with O(1) add, delete and oldest:
 * what a Set gives, without a Set, whose outgrown tables promote every
 * request under churn (see TagTable). The order is an array; a TagTable maps
 * each pending tag to its slot, a delete empties the slot, and the array is
 * trimmed from the front as the oldest settle, compacted when empty slots
 * outnumber the pending ones.
 */
export class PendingInOrder<R extends { readonly tag: number }> {
  private readonly slotOf = new TagTable<number>();
  private order: (R | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.slotOf.size;
  }

  /** False when the record is already pending. */
  add(record: R): boolean {
    if (this.indexOf(record) >= 0) return false;
    this.slotOf.set(record.tag, this.order.length);
    this.order.push(record);
    return true;
  }

  /** False when the record was not pending. */
  delete(record: R): boolean {
    const i = this.indexOf(record);
    if (i < 0) return false;
    this.slotOf.delete(record.tag);
    const order = this.order;
    order[i] = undefined;
    while (this.head < order.length && order[this.head] === undefined) this.head++;
    if (this.head === order.length) {
      order.length = 0;
      this.head = 0;
    } else if (order.length - this.head > 2 * this.slotOf.size + 64) {
      this.compact();
    }
    return true;
  }

  /** The oldest pending record. */
  oldest(): R | undefined {
    return this.order[this.head];
  }

  /** Up to `max` pending records, oldest first. */
  firstOnes(max: number): R[] {
    const out: R[] = [];
    for (let i = this.head; i < this.order.length && out.length < max; i++) {
      const record = this.order[i];
      if (record !== undefined) out.push(record);
    }
    return out;
  }

  clear(): void {
    this.slotOf.clear();
    this.order = [];
    this.head = 0;
  }

  private indexOf(record: R): number {
    const i = this.slotOf.get(record.tag);
    return i !== undefined && this.order[i] === record ? i : -1;
  }

  private compact(): void {
    const live: R[] = [];
    for (let i = this.head; i < this.order.length; i++) {
      const record = this.order[i];
      if (record === undefined) continue;
      this.slotOf.set(record.tag, live.length);
      live.push(record);
    }
    this.order = live;
    this.head = 0;
  }
}
