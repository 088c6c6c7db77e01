/**
 * Hands out request tags: a counter that wraps at 2^32 and skips tags still
 * in use, so a tag is never shared by two pending requests.
 */
export class TagAllocator {
  private next = 1;

  constructor(private readonly inUse: { has(tag: number): boolean }) {}

  allocate(): number {
    for (;;) {
      const tag = this.next;
      this.next = tag >= 0xffffffff ? 1 : tag + 1;
      if (!this.inUse.has(tag)) return tag;
    }
  }
}
