/**
 * NBD wire constants that src/nbd/protocol.ts (the shared contract) does not
 * hold yet. Same source: the NetworkBlockDevice project's doc/proto.md.
 */

/** `cliserv_magic`: the second magic of an oldstyle greeting (we refuse oldstyle). */
export const OLDSTYLE_MAGIC = 0x00420281861253n;

/** Greeting: NBDMAGIC, IHAVEOPT, u16 handshake flags. */
export const GREETING_BYTES = 18;
/** Client flags answering the greeting: u32. */
export const CLIENT_FLAGS_BYTES = 4;
/** NBD_OPT_EXPORT_NAME reply: u64 size, u16 transmission flags (then 124 zero bytes unless NO_ZEROES). */
export const EXPORT_NAME_REPLY_BYTES = 10;
export const EXPORT_NAME_REPLY_ZEROES = 124;

/** proto.md: strings (export names, messages, queries) MUST be no longer than 4096 bytes. */
export const MAX_STRING_BYTES = 4096;
/** Default cap on one option's (or option reply's) data: small, as handshake data is. */
export const DEFAULT_MAX_OPTION_BYTES = 64 * 1024;

/** NBD_INFO_EXPORT reply data: u16 type, u64 size, u16 transmission flags. */
export const INFO_EXPORT_BYTES = 12;
/** NBD_INFO_BLOCK_SIZE reply data: u16 type, u32 minimum, u32 preferred, u32 maximum. */
export const INFO_BLOCK_SIZE_BYTES = 14;

/** Structured chunk payload sizes (proto.md, "Structured reply types"). */
export const OFFSET_DATA_MIN_BYTES = 9;
export const OFFSET_HOLE_BYTES = 12;
export const BLOCK_STATUS_MIN_BYTES = 12;
export const ERROR_CHUNK_MIN_BYTES = 6;
export const ERROR_OFFSET_CHUNK_MIN_BYTES = 14;
/** One base:allocation (or other context) extent descriptor: u32 length, u32 flags. */
export const EXTENT_BYTES = 8;
