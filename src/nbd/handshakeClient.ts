/**
 * Client side of the fixed newstyle handshake, as plain byte work: encoders
 * for what the client sends, an incremental {@link HandshakeReader} for what
 * the server sends, and parsers for option reply data. No I/O here.
 */
import { InvalidArgumentError } from '../core/errors.js';
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
  OLDSTYLE_MAGIC,
} from './protocol-extra.js';

// ---- encoders -------------------------------------------------------------

/** The u32 client flags answering the greeting (ClientFlag bits). */
export function encodeClientFlags(flags: number): Buffer {
  const buf = Buffer.allocUnsafe(CLIENT_FLAGS_BYTES);
  buf.writeUInt32BE(flags, 0);
  return buf;
}

/** An option: IHAVEOPT, u32 option, u32 data length, data. */
export function encodeOption(option: number, data?: Buffer): Buffer {
  const length = data === undefined ? 0 : data.length;
  const buf = Buffer.allocUnsafe(OPTION_HEADER_BYTES + length);
  buf.writeBigUInt64BE(IHAVEOPT, 0);
  buf.writeUInt32BE(option, 8);
  buf.writeUInt32BE(length, 12);
  if (data !== undefined) data.copy(buf, OPTION_HEADER_BYTES);
  return buf;
}

/** NBD_OPT_GO or NBD_OPT_INFO: u32 name length, name, u16 count, count × u16 info type. */
export function encodeGoOrInfo(option: number, exportName: string, infoRequests: readonly number[]): Buffer {
  const name = nbdStringBytes(exportName, 'export name');
  if (infoRequests.length > 0xffff) throw new InvalidArgumentError(`${infoRequests.length} info requests (at most 65535)`);
  const data = Buffer.allocUnsafe(4 + name.length + 2 + 2 * infoRequests.length);
  data.writeUInt32BE(name.length, 0);
  name.copy(data, 4);
  let pos = 4 + name.length;
  pos = data.writeUInt16BE(infoRequests.length, pos);
  for (const info of infoRequests) pos = data.writeUInt16BE(info, pos);
  return encodeOption(option, data);
}

/**
 * NBD_OPT_SET_META_CONTEXT or NBD_OPT_LIST_META_CONTEXT: u32 name length,
 * name, u32 query count, each query as u32 length + string.
 */
export function encodeSetMetaContext(
  option: number,
  exportName: string,
  queries: readonly string[],
): Buffer {
  const name = nbdStringBytes(exportName, 'export name');
  const encoded = queries.map((q) => nbdStringBytes(q, 'meta context query'));
  const data = Buffer.allocUnsafe(4 + name.length + 4 + encoded.reduce((n, q) => n + 4 + q.length, 0));
  data.writeUInt32BE(name.length, 0);
  name.copy(data, 4);
  let pos = data.writeUInt32BE(encoded.length, 4 + name.length);
  for (const q of encoded) {
    pos = data.writeUInt32BE(q.length, pos);
    pos += q.copy(data, pos);
  }
  return encodeOption(option, data);
}

/** NBD_OPT_EXPORT_NAME: the name is the whole option data (its reply is unframed: see readExportNameReply). */
export function encodeExportName(name: string): Buffer {
  return encodeOption(Option.ExportName, nbdStringBytes(name, 'export name'));
}

// ---- reader ---------------------------------------------------------------

export interface HandshakeReaderOptions {
  /** Largest option reply data accepted (default 64 KiB); above it NbdHandshakeError `NBD_OPTION_TOO_BIG`. */
  readonly maxOptionBytes?: number;
  /** Largest amount of unread data buffered (default: maxOptionBytes + 20 + 256 KiB). Read after every push. */
  readonly maxBufferedBytes?: number;
}

export interface NbdOptionReply {
  readonly option: number;
  /** NBD_REP_* (errors have bit 31 set). */
  readonly type: number;
  /** A copy of the reply data. */
  readonly data: Buffer;
}

/**
 * Incremental reader of what a server sends during the handshake. Push each
 * received chunk, then call the read method for the message expected next
 * until it returns undefined (not enough bytes yet).
 */
export class HandshakeReader {
  private readonly bytes: ByteAccumulator;
  private readonly maxOptionBytes: number;

  constructor(options: HandshakeReaderOptions = {}) {
    this.maxOptionBytes = options.maxOptionBytes ?? DEFAULT_MAX_OPTION_BYTES;
    this.bytes = new ByteAccumulator(options.maxBufferedBytes ?? this.maxOptionBytes + OPTION_REPLY_HEADER_BYTES + 256 * 1024);
  }

  /** Appends a copy of a received chunk. */
  push(chunk: Buffer): void {
    this.bytes.push(chunk);
  }

  /** Unread bytes. */
  get buffered(): number {
    return this.bytes.length;
  }

  /** NBDMAGIC, IHAVEOPT, u16 handshake flags. Checks each magic as soon as its bytes are in. */
  readGreeting(): { handshakeFlags: number } | undefined {
    const b = this.bytes;
    if (b.length >= 8 && b.u64(0) !== NBDMAGIC) {
      throw new NbdHandshakeError(`not an NBD server: greeting starts with 0x${b.u64(0).toString(16)}`);
    }
    if (b.length >= 16) {
      const magic = b.u64(8);
      if (magic === OLDSTYLE_MAGIC) throw new NbdHandshakeError('oldstyle not supported: the server sent an oldstyle greeting');
      if (magic !== IHAVEOPT) throw new NbdHandshakeError(`bad greeting magic 0x${magic.toString(16)} (expected IHAVEOPT)`);
    }
    if (b.length < GREETING_BYTES) return undefined;
    const handshakeFlags = b.u16(16);
    b.consume(GREETING_BYTES);
    return { handshakeFlags };
  }

  /** One option reply: magic, u32 option, u32 type, u32 length, data. */
  readOptionReply(): NbdOptionReply | undefined {
    const b = this.bytes;
    if (b.length < OPTION_REPLY_HEADER_BYTES) return undefined;
    const magic = b.u64(0);
    if (magic !== OPTION_REPLY_MAGIC) throw new NbdHandshakeError(`bad option reply magic 0x${magic.toString(16)}`);
    const option = b.u32(8);
    const length = b.u32(16);
    if (length > this.maxOptionBytes) {
      throw new NbdHandshakeError(
        `option reply of ${length} bytes exceeds the limit of ${this.maxOptionBytes} bytes`,
        'NBD_OPTION_TOO_BIG',
        option,
      );
    }
    if (b.length < OPTION_REPLY_HEADER_BYTES + length) return undefined;
    const reply = { option, type: b.u32(12), data: b.copy(OPTION_REPLY_HEADER_BYTES, length) };
    b.consume(OPTION_REPLY_HEADER_BYTES + length);
    return reply;
  }

  /** The unframed NBD_OPT_EXPORT_NAME reply: u64 size, u16 flags, then 124 zero bytes unless NO_ZEROES was agreed. */
  readExportNameReply(noZeroes: boolean): { size: bigint; flags: number } | undefined {
    const b = this.bytes;
    const total = EXPORT_NAME_REPLY_BYTES + (noZeroes ? 0 : EXPORT_NAME_REPLY_ZEROES);
    if (b.length < total) return undefined;
    const reply = { size: b.u64(0), flags: b.u16(8) };
    b.consume(total);
    return reply;
  }

  /** Bytes received past the handshake (a copy); the reader is empty afterwards. */
  takeRest(): Buffer {
    return this.bytes.takeAll();
  }
}

// ---- option reply data ----------------------------------------------------

export type NbdInfo =
  | { readonly type: 'export'; readonly size: bigint; readonly flags: number }
  | { readonly type: 'blockSize'; readonly minimum: number; readonly preferred: number; readonly maximum: number }
  | { readonly type: 'name'; readonly name: string }
  | { readonly type: 'description'; readonly description: string }
  | { readonly type: 'unknown'; readonly infoType: number };

/** Data of an NBD_REP_INFO reply: u16 info type + payload. Unknown types are reported, not refused. */
export function parseInfo(data: Buffer): NbdInfo {
  if (data.length < 2) throw malformed(`NBD_REP_INFO of ${data.length} bytes`);
  const infoType = data.readUInt16BE(0);
  switch (infoType) {
    case InfoType.Export:
      if (data.length !== INFO_EXPORT_BYTES) throw malformed(`NBD_INFO_EXPORT of ${data.length} bytes (expected 12)`);
      return { type: 'export', size: data.readBigUInt64BE(2), flags: data.readUInt16BE(10) };
    case InfoType.BlockSize:
      if (data.length !== INFO_BLOCK_SIZE_BYTES) throw malformed(`NBD_INFO_BLOCK_SIZE of ${data.length} bytes (expected 14)`);
      return {
        type: 'blockSize',
        minimum: data.readUInt32BE(2),
        preferred: data.readUInt32BE(6),
        maximum: data.readUInt32BE(10),
      };
    case InfoType.Name:
      return { type: 'name', name: data.toString('utf8', 2) };
    case InfoType.Description:
      return { type: 'description', description: data.toString('utf8', 2) };
    default:
      return { type: 'unknown', infoType };
  }
}

/** Data of an NBD_REP_SERVER reply: u32 name length, name, then a description (the rest). */
export function parseServerReply(data: Buffer): { name: string; description: string } {
  if (data.length < 4) throw malformed(`NBD_REP_SERVER of ${data.length} bytes`);
  const nameLength = data.readUInt32BE(0);
  if (nameLength > data.length - 4) {
    throw malformed(`NBD_REP_SERVER name of ${nameLength} bytes does not fit in ${data.length - 4} bytes`);
  }
  return {
    name: data.toString('utf8', 4, 4 + nameLength),
    description: data.toString('utf8', 4 + nameLength),
  };
}

/** Data of an NBD_REP_META_CONTEXT reply: u32 context id, name. */
export function parseMetaContextReply(data: Buffer): { id: number; name: string } {
  if (data.length < 4) throw malformed(`NBD_REP_META_CONTEXT of ${data.length} bytes`);
  return { id: data.readUInt32BE(0), name: data.toString('utf8', 4) };
}

/** The optional UTF-8 message of an error reply. */
export function optionErrorMessage(data: Buffer): string {
  return data.toString('utf8');
}

function malformed(what: string): NbdHandshakeError {
  return new NbdHandshakeError(`malformed option reply: ${what}`);
}
