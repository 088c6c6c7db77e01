/**
 * NBD wire constants (fixed newstyle handshake, transmission phase), from the
 * NetworkBlockDevice project's doc/proto.md. All integers on the wire are
 * big-endian.
 */

/** "NBDMAGIC": first 8 bytes of the server greeting. */
export const NBDMAGIC = 0x4e42444d41474943n;
/** "IHAVEOPT": newstyle greeting magic, and the prefix of every client option. */
export const IHAVEOPT = 0x49484156454f5054n;
/** Magic of every option reply from the server. */
export const OPTION_REPLY_MAGIC = 0x0003e889045565a9n;

export const REQUEST_MAGIC = 0x25609513;
export const SIMPLE_REPLY_MAGIC = 0x67446698;
export const STRUCTURED_REPLY_MAGIC = 0x668e33ef;

export const REQUEST_HEADER_BYTES = 28;
export const SIMPLE_REPLY_HEADER_BYTES = 16;
export const STRUCTURED_REPLY_HEADER_BYTES = 20;
export const OPTION_HEADER_BYTES = 16;
export const OPTION_REPLY_HEADER_BYTES = 20;

/** Handshake flags the server sends (u16). */
export const enum HandshakeFlag {
  FixedNewstyle = 1 << 0,
  NoZeroes = 1 << 1,
}

/** Client flags (u32) answering the greeting. */
export const enum ClientFlag {
  FixedNewstyle = 1 << 0,
  NoZeroes = 1 << 1,
}

export const enum Option {
  /** NBD_OPT_EXPORT_NAME: the old way into transmission; unframed reply. */
  ExportName = 1,
  Abort = 2,
  List = 3,
  StartTls = 5,
  Info = 6,
  Go = 7,
  StructuredReply = 8,
  ListMetaContext = 9,
  SetMetaContext = 10,
}

export const enum OptionReply {
  Ack = 1,
  Server = 2,
  Info = 3,
  MetaContext = 4,
}

/** Option reply error types: bit 31 set. */
export const OPTION_REPLY_ERROR_BIT = 0x80000000;
export const enum OptionError {
  Unsup = 0x80000001,
  Policy = 0x80000002,
  Invalid = 0x80000003,
  Platform = 0x80000004,
  TlsReqd = 0x80000005,
  Unknown = 0x80000006,
  Shutdown = 0x80000007,
  BlockSizeReqd = 0x80000008,
  TooBig = 0x80000009,
}

export const enum InfoType {
  Export = 0,
  Name = 1,
  Description = 2,
  BlockSize = 3,
}

/** Transmission flags (u16), sent with the export size. */
export const enum TransmissionFlag {
  HasFlags = 1 << 0,
  ReadOnly = 1 << 1,
  SendFlush = 1 << 2,
  SendFua = 1 << 3,
  Rotational = 1 << 4,
  SendTrim = 1 << 5,
  SendWriteZeroes = 1 << 6,
  SendDf = 1 << 7,
  CanMultiConn = 1 << 8,
  SendResize = 1 << 9,
  SendCache = 1 << 10,
  SendFastZero = 1 << 11,
}

export const enum Command {
  Read = 0,
  Write = 1,
  Disc = 2,
  Flush = 3,
  Trim = 4,
  Cache = 5,
  WriteZeroes = 6,
  BlockStatus = 7,
}

export const enum CommandFlag {
  Fua = 1 << 0,
  NoHole = 1 << 1,
  Df = 1 << 2,
  ReqOne = 1 << 3,
  FastZero = 1 << 4,
}

export const enum ReplyFlag {
  Done = 1 << 0,
}

export const enum ChunkType {
  None = 0,
  OffsetData = 1,
  OffsetHole = 2,
  BlockStatus = 5,
  Error = 0x8001,
  ErrorOffset = 0x8002,
}
/** Structured chunk types with this bit set are errors. */
export const CHUNK_ERROR_BIT = 0x8000;

/** base:allocation extent flags. */
export const enum AllocationFlag {
  Hole = 1 << 0,
  Zero = 1 << 1,
}

/** Errno values NBD carries on the wire (Linux numbering). */
export const enum NbdErrno {
  EPERM = 1,
  EIO = 5,
  ENOMEM = 12,
  EINVAL = 22,
  ENOSPC = 28,
  EOVERFLOW = 75,
  ENOTSUP = 95,
  ESHUTDOWN = 108,
}

export const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: 'EPERM',
  5: 'EIO',
  12: 'ENOMEM',
  22: 'EINVAL',
  28: 'ENOSPC',
  75: 'EOVERFLOW',
  95: 'ENOTSUP',
  108: 'ESHUTDOWN',
};

export const META_CONTEXT_BASE_ALLOCATION = 'base:allocation';
export const DEFAULT_PORT = 10809;
/** Without advertised limits, keep requests at or below 32 MiB (proto.md). */
export const DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024;
