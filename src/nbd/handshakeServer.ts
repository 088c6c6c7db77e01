/**
 * Server side of the fixed newstyle handshake, as plain byte work: the
 * greeting, an incremental {@link ServerHandshakeReader} for what the client
 * sends, option reply encoders, and parsers for option data. No I/O here.
 *
 * The `encodeInfo*`, `encodeServerReply` and `encodeMetaContextReply`
 * functions return reply *data*; wrap it with {@link encodeOptionReply}:
 * `encodeOptionReply(Option.Go, OptionReply.Info, encodeInfoExport(size, flags))`.
 */
import { ByteAccumulator } from './byteAccumulator.js';
import { NbdHandshakeError } from './errors.js';
import { nbdStringBytes } from './nbdString.js';
import {
  IHAVEOPT,
  InfoType,
  NBDMAGIC,
  OPTION_HEADER_BYTES,
  OPTION_REPLY_HEADER_BYTES,
  OPTION_REPLY_MAGIC,
  Option,
} from './protocol.js';
import {
  CLIENT_FLAGS_BYTES,
  DEFAULT_MAX_OPTION_BYTES,
  EXPORT_NAME_REPLY_BYTES,
  EXPORT_NAME_REPLY_ZEROES,
  GREETING_BYTES,
  INFO_BLOCK_SIZE_BYTES,
  INFO_EXPORT_BYTES,
} from './protocol-extra.js';
import { writeU64 } from './u64.js';

/** NBDMAGIC, IHAVEOPT, u16 handshake flags (HandshakeFlag bits). */
export function encodeGreeting(flags: number): Buffer {
  const buf = Buffer.allocUnsafe(GREETING_BYTES);
  buf.writeBigUInt64BE(NBDMAGIC, 0);
  buf.writeBigUInt64BE(IHAVEOPT, 8);
  buf.writeUInt16BE(flags, 16);
  return buf;
}

// ---- reader ---------------------------------------------------------------

export interface ServerHandshakeReaderOptions {
  /** Largest option data accepted (default 64 KiB); above it NbdHandshakeError `NBD_OPTION_TOO_BIG`. */
  readonly maxOptionBytes?: number;
  /** Largest amount of unread data buffered (default: maxOptionBytes + 16 + 256 KiB). Read after every push. */
  readonly maxBufferedBytes?: number;
}

/**
 * Incremental reader of what a client sends during the handshake. Push each
 * received chunk, then call the read method for the message expected next
 * until it returns undefined (not enough bytes yet).
 */
export class ServerHandshakeReader {
  private readonly bytes: ByteAccumulator;
  private readonly maxOptionBytes: number;

  constructor(options: ServerHandshakeReaderOptions = {}) {
    this.maxOptionBytes = options.maxOptionBytes ?? DEFAULT_MAX_OPTION_BYTES;
    this.bytes = new ByteAccumulator(options.maxBufferedBytes ?? this.maxOptionBytes + OPTION_HEADER_BYTES + 256 * 1024);
  }

  /** Appends a copy of a received chunk. */
  push(chunk: Buffer): void {
    this.bytes.push(chunk);
  }

  /** Unread bytes. */
  get buffered(): number {
    return this.bytes.length;
  }

  /** The u32 client flags. */
  readClientFlags(): number | undefined {
    if (this.bytes.length < CLIENT_FLAGS_BYTES) return undefined;
    const flags = this.bytes.u32(0);
    this.bytes.consume(CLIENT_FLAGS_BYTES);
    return flags;
  }

  /**
   * One option: IHAVEOPT, u32 option, u32 length, data. An option longer
   * than `maxOptionBytes` throws NbdHandshakeError `NBD_OPTION_TOO_BIG`
   * (with `option` set) and its data is skipped as it arrives, so the server
   * may answer NBD_REP_ERR_TOO_BIG and go on reading, or disconnect.
   */
  readOption(): { option: number; data: Buffer } | undefined {
    const b = this.bytes;
    if (b.length < OPTION_HEADER_BYTES) return undefined;
    const magic = b.u64(0);
    if (magic !== IHAVEOPT) throw new NbdHandshakeError(`bad option magic 0x${magic.toString(16)} (expected IHAVEOPT)`);
    const option = b.u32(8);
    const length = b.u32(12);
    if (length > this.maxOptionBytes) {
      b.discard(OPTION_HEADER_BYTES + length);
      throw new NbdHandshakeError(
        `option of ${length} bytes exceeds the limit of ${this.maxOptionBytes} bytes`,
        'NBD_OPTION_TOO_BIG',
        option,
      );
    }
    if (b.length < OPTION_HEADER_BYTES + length) return undefined;
    const data = b.copy(OPTION_HEADER_BYTES, length);
    b.consume(OPTION_HEADER_BYTES + length);
    return { option, data };
  }

  /** Bytes received past the handshake (a copy); the reader is empty afterwards. */
  takeRest(): Buffer {
    return this.bytes.takeAll();
  }
}

// ---- option replies -------------------------------------------------------

/** An option reply: magic, u32 option, u32 reply type, u32 length, data. */
export function encodeOptionReply(option: number, type: number, data?: Buffer): Buffer {
  const length = data === undefined ? 0 : data.length;
  const buf = Buffer.allocUnsafe(OPTION_REPLY_HEADER_BYTES + length);
  buf.writeBigUInt64BE(OPTION_REPLY_MAGIC, 0);
  buf.writeUInt32BE(option, 8);
  buf.writeUInt32BE(type, 12);
  buf.writeUInt32BE(length, 16);
  if (data !== undefined) data.copy(buf, OPTION_REPLY_HEADER_BYTES);
  return buf;
}

/** An error reply (type 2^31 + n) with an optional UTF-8 message. */
export function encodeOptionError(option: number, errType: number, message = ''): Buffer {
  return encodeOptionReply(option, errType, message ? nbdStringBytes(message, 'error message') : undefined);
}

/** NBD_REP_INFO data for NBD_INFO_EXPORT: u16 type, u64 size, u16 transmission flags. */
export function encodeInfoExport(size: bigint | number, flags: number): Buffer {
  const data = Buffer.allocUnsafe(INFO_EXPORT_BYTES);
  data.writeUInt16BE(InfoType.Export, 0);
  writeU64(data, 2, size);
  data.writeUInt16BE(flags, 10);
  return data;
}

/** NBD_REP_INFO data for NBD_INFO_BLOCK_SIZE: u16 type, u32 minimum, preferred, maximum. */
export function encodeInfoBlockSize(minimum: number, preferred: number, maximum: number): Buffer {
  const data = Buffer.allocUnsafe(INFO_BLOCK_SIZE_BYTES);
  data.writeUInt16BE(InfoType.BlockSize, 0);
  data.writeUInt32BE(minimum, 2);
  data.writeUInt32BE(preferred, 6);
  data.writeUInt32BE(maximum, 10);
  return data;
}

/** NBD_REP_INFO data for NBD_INFO_NAME (the canonical export name). */
export function encodeInfoName(name: string): Buffer {
  return infoString(InfoType.Name, nbdStringBytes(name, 'export name'));
}

/** NBD_REP_INFO data for NBD_INFO_DESCRIPTION. */
export function encodeInfoDescription(description: string): Buffer {
  return infoString(InfoType.Description, nbdStringBytes(description, 'export description'));
}

/** NBD_REP_SERVER data: u32 name length, name, description. */
export function encodeServerReply(name: string, description = ''): Buffer {
  const n = nbdStringBytes(name, 'export name');
  const d = nbdStringBytes(description, 'export description');
  const data = Buffer.allocUnsafe(4 + n.length + d.length);
  data.writeUInt32BE(n.length, 0);
  n.copy(data, 4);
  d.copy(data, 4 + n.length);
  return data;
}

/** NBD_REP_META_CONTEXT data: u32 context id, name. */
export function encodeMetaContextReply(id: number, name: string): Buffer {
  const n = nbdStringBytes(name, 'meta context name');
  const data = Buffer.allocUnsafe(4 + n.length);
  data.writeUInt32BE(id, 0);
  n.copy(data, 4);
  return data;
}

/** The unframed NBD_OPT_EXPORT_NAME reply: u64 size, u16 flags, then 124 zero bytes unless NO_ZEROES was agreed. */
export function encodeExportNameReply(size: bigint | number, flags: number, noZeroes: boolean): Buffer {
  const buf = Buffer.alloc(EXPORT_NAME_REPLY_BYTES + (noZeroes ? 0 : EXPORT_NAME_REPLY_ZEROES));
  writeU64(buf, 0, size);
  buf.writeUInt16BE(flags, 8);
  return buf;
}

function infoString(type: InfoType, bytes: Buffer): Buffer {
  const data = Buffer.allocUnsafe(2 + bytes.length);
  data.writeUInt16BE(type, 0);
  bytes.copy(data, 2);
  return data;
}

// ---- option data ----------------------------------------------------------

/**
 * NBD_OPT_GO / NBD_OPT_INFO data: u32 name length, name, u16 count, count ×
 * u16 info type. Anything that does not add up exactly throws
 * NbdHandshakeError `NBD_OPT_INVALID` (answer NBD_REP_ERR_INVALID).
 */
export function parseGoOrInfo(data: Buffer, option: number = Option.Go): { name: string; infoRequests: number[] } {
  const cursor = new OptionDataCursor(data, option);
  const name = cursor.string32('export name');
  const count = cursor.u16('info request count');
  cursor.need(2 * count, `${count} info requests`);
  const infoRequests: number[] = [];
  for (let i = 0; i < count; i++) infoRequests.push(cursor.u16('info request'));
  cursor.end();
  return { name, infoRequests };
}

/**
 * NBD_OPT_SET_META_CONTEXT / NBD_OPT_LIST_META_CONTEXT data: u32 name
 * length, name, u32 query count, each query as u32 length + string.
 * Malformed data throws NbdHandshakeError `NBD_OPT_INVALID`.
 */
export function parseMetaContextRequest(
  data: Buffer,
  option: number = Option.SetMetaContext,
): { name: string; queries: string[] } {
  const cursor = new OptionDataCursor(data, option);
  const name = cursor.string32('export name');
  const count = cursor.u32('query count');
  cursor.need(4 * count, `${count} queries`);
  const queries: string[] = [];
  for (let i = 0; i < count; i++) queries.push(cursor.string32('query'));
  cursor.end();
  return { name, queries };
}

/** Reads option data front to back; every field must lie inside the data. */
class OptionDataCursor {
  private pos = 0;

  constructor(private readonly data: Buffer, private readonly option: number) {}

  need(n: number, what: string): void {
    if (n > this.data.length - this.pos) {
      throw new NbdHandshakeError(
        `option data too short: ${what} needs ${n} bytes, ${this.data.length - this.pos} left`,
        'NBD_OPT_INVALID',
        this.option,
      );
    }
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.data.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.data.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  string32(what: string): string {
    const length = this.u32(`${what} length`);
    this.need(length, what);
    const s = this.data.toString('utf8', this.pos, this.pos + length);
    this.pos += length;
    return s;
  }

  end(): void {
    if (this.pos !== this.data.length) {
      throw new NbdHandshakeError(
        `option data has ${this.data.length - this.pos} unexpected trailing bytes`,
        'NBD_OPT_INVALID',
        this.option,
      );
    }
  }
}
