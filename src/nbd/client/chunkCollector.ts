import type { FramePart } from '../../core/codec.js';
import type { NbdReplyHeader } from '../replyDecoder.js';

/**
 * Gathers the parts of one chunk whose payload is parsed whole (error and
 * block status chunks). `frame()` hands a payload above its slice threshold
 * over in parts; this keeps copies of the parts that arrived (a part views
 * the reused receive buffer) and joins them on the last one. Memory grows
 * with the bytes received, never with the length a header announces.
 */
export class ChunkCollector {
  private parts: Buffer[] = [];

  /** Feeds one part of a chunk (in order); returns the whole payload on the last part. */
  push(part: FramePart<NbdReplyHeader>): Buffer | undefined {
    // The common case: the chunk came whole.
    if (part.offset === 0 && part.last) return part.payload;
    if (part.offset === 0) this.parts = [];
    this.parts.push(Buffer.from(part.payload));
    if (!part.last) return undefined;
    const whole = Buffer.concat(this.parts);
    this.parts = [];
    return whole;
  }
}
