import { TagTable } from '../../src/core/tagTable.js';

/** The cost each item in flight holds, by item. */
export interface InFlightCosts<T> {
  get(item: T): number | undefined;
  set(item: T, cost: number): unknown;
  delete(item: T): boolean;
  clear(): void;
  readonly size: number;
}

/** Costs keyed by `keyOf(item)` in a TagTable. */
class KeyedCosts<T> implements InFlightCosts<T> {
  private readonly table = new TagTable<number>();

  constructor(private readonly keyOf: (item: T) => number) {}

  get size(): number {
    return this.table.size;
  }

  get(item: T): number | undefined {
    return this.table.get(this.keyOf(item));
  }

  set(item: T, cost: number): this {
    this.table.set(this.keyOf(item), cost);
    return this;
  }

  delete(item: T): boolean {
    return this.table.delete(this.keyOf(item));
  }

  clear(): void {
    this.table.clear();
  }
}

/** A TagTable by key when the items have one, else a Map by identity. */
export function inFlightCosts<T>(keyOf: ((item: T) => number) | undefined): InFlightCosts<T> {
  return keyOf === undefined ? new Map<T, number>() : new KeyedCosts(keyOf);
}
