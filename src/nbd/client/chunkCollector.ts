import type { FramePart } from '../../core/codec.js';
import type { NbdReplyHeader } from '../replyDecoder.js';

/**
 * Gathers the parts of one chunk whose payload is parsed whole (error and
 * block status chunks). `frame()` hands a payload above its slice threshold
 * over in parts; this keeps copies of the parts that arrived (a part views
 * the reused receive buffer) and joins them on the last one. Memory grows
 * with the bytes received, never with the length a header announces, and
 * never beyond `keepBytes`: the rest of a longer payload is dropped (an
 * error chunk's fields all lie in its first 14 + 65535 bytes).
 */
export class ChunkCollector {
  private parts: Buffer[] = [];
  private kept = 0;

  constructor(private readonly keepBytes = Infinity) {}

  /** Feeds one part of a chunk (in order); returns the payload (at most `keepBytes` of it) on the last part. */
  push(part: FramePart<NbdReplyHeader>): Buffer | undefined {
    // The common case: the chunk came whole.
    if (part.offset === 0 && part.last) return part.payload.length > this.keepBytes ? part.payload.subarray(0, this.keepBytes) : part.payload;
    if (part.offset === 0) {
      this.parts = [];
      this.kept = 0;
    }
    const room = this.keepBytes - this.kept;
    if (room > 0) {
      const piece = Buffer.from(part.payload.subarray(0, room));
      this.parts.push(piece);
      this.kept += piece.length;
    }
    if (!part.last) return undefined;
    const whole = Buffer.concat(this.parts);
    this.parts = [];
    this.kept = 0;
    return whole;
  }
}
