/**
 * Defaults the send-side operators share for items that look like a
 * {@link RequestRecord} (or any {@link Unit}): duck-typed, so plain objects in
 * specs work too.
 */

/** The item's `bytes` if it has a numeric one, else 0. */
export function defaultCost(item: unknown): number {
  const bytes = (item as { bytes?: unknown } | null | undefined)?.bytes;
  return typeof bytes === 'number' ? bytes : 0;
}

/** True when the item has `cancelled === true` (RequestRecord's getter). */
export function defaultIsCancelled(item: unknown): boolean {
  return (item as { cancelled?: unknown } | null | undefined)?.cancelled === true;
}
