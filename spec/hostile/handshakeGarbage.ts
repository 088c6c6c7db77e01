/**
 * Generated garbage for the handshake: what a hostile server sends instead
 * of (or after part of) a correct greeting or option reply. Rendered once
 * the option being answered is known, so a reply can look right but for one
 * field.
 */
import fc from 'fast-check';
import { encodeOptionReply } from '../../src/nbd/handshakeServer.js';
import { IHAVEOPT, InfoType, NBDMAGIC, OPTION_REPLY_MAGIC, Option, OptionReply } from '../../src/nbd/protocol.js';

export type HandshakeGarbage =
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'greeting'; magic: bigint; second: bigint; flags: number }
  /** An option reply header only, whose length field announces `length` bytes (0, huge, 2^32 − 1). */
  | { kind: 'replyHeader'; magic: bigint; otherOption: boolean; type: number; length: number; data: Uint8Array }
  /** A well-framed NBD_REP_INFO whose payload is malformed or extreme. */
  | { kind: 'info'; infoType: number; payload: Uint8Array }
  | { kind: 'blockSize'; minimum: number; preferred: number; maximum: number }
  | { kind: 'export'; size: bigint; flags: number }
  | { kind: 'metaContext'; data: Uint8Array }
  | { kind: 'reply'; type: number; data: Uint8Array };

const u32 = fc.oneof(fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff), fc.nat(0xffffffff));
const replyType = fc.oneof(
  fc.constantFrom(OptionReply.Ack, OptionReply.Server, OptionReply.Info, OptionReply.MetaContext),
  fc.constantFrom(0x80000001, 0x80000002, 0x80000003, 0x80000005, 0x80000008, 0x80000009, 0x8000ffff),
  u32,
);
const smallData = fc.uint8Array({ maxLength: 32 });

export const handshakeGarbageArb: fc.Arbitrary<HandshakeGarbage> = fc.oneof(
  fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({
    kind: fc.constant('greeting' as const),
    magic: fc.oneof(fc.constant(NBDMAGIC), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
    second: fc.constantFrom(IHAVEOPT, 0x00420281861253n, 0n),
    flags: fc.nat(0xffff),
  }),
  fc.record({
    kind: fc.constant('replyHeader' as const),
    magic: fc.oneof(fc.constant(OPTION_REPLY_MAGIC), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
    otherOption: fc.boolean(),
    type: replyType,
    length: fc.oneof(fc.constantFrom(0, 4, 12, 14, 65536, 65537, 1 << 24, 0xffffffff), u32),
    data: smallData,
  }),
  fc.record({ kind: fc.constant('info' as const), infoType: fc.oneof(fc.constantFrom(InfoType.Export, InfoType.BlockSize, InfoType.Name, InfoType.Description), fc.nat(0xffff)), payload: smallData }),
  fc.record({
    kind: fc.constant('blockSize' as const),
    minimum: fc.oneof(fc.constantFrom(0, 1, 3, 512, 4096, 65536, 131072), u32),
    preferred: fc.oneof(fc.constantFrom(0, 1, 4096, 1 << 25), u32),
    maximum: fc.oneof(fc.constantFrom(0, 1, 511, 1 << 20, 0xffffffff), u32),
  }),
  fc.record({ kind: fc.constant('export' as const), size: fc.oneof(fc.constantFrom(0n, 1n, (1n << 63n) - 1n, (1n << 64n) - 1n), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })), flags: fc.nat(0xffff) }),
  fc.record({ kind: fc.constant('metaContext' as const), data: smallData }),
  fc.record({ kind: fc.constant('reply' as const), type: replyType, data: smallData }),
);

/** Bytes for `g`, answering `option` (0 while greeting). */
export function renderGarbage(g: HandshakeGarbage, option: number): Buffer {
  const opt = option || Option.Go;
  switch (g.kind) {
    case 'bytes':
      return Buffer.from(g.bytes);
    case 'greeting': {
      const b = Buffer.alloc(18);
      b.writeBigUInt64BE(g.magic, 0);
      b.writeBigUInt64BE(g.second, 8);
      b.writeUInt16BE(g.flags, 16);
      return b;
    }
    case 'replyHeader': {
      const b = Buffer.alloc(20);
      b.writeBigUInt64BE(g.magic, 0);
      b.writeUInt32BE(g.otherOption ? opt ^ 0x55 : opt, 8);
      b.writeUInt32BE(g.type, 12);
      b.writeUInt32BE(g.length, 16);
      return Buffer.concat([b, Buffer.from(g.data)]);
    }
    case 'info': {
      const payload = Buffer.alloc(2 + g.payload.length);
      payload.writeUInt16BE(g.infoType, 0);
      Buffer.from(g.payload).copy(payload, 2);
      return encodeOptionReply(opt, OptionReply.Info, payload);
    }
    case 'blockSize': {
      const payload = Buffer.alloc(14);
      payload.writeUInt16BE(InfoType.BlockSize, 0);
      payload.writeUInt32BE(g.minimum, 2);
      payload.writeUInt32BE(g.preferred, 6);
      payload.writeUInt32BE(g.maximum, 10);
      // A well-formed but absurd constraint, followed by what GO needs to finish.
      return Buffer.concat([encodeOptionReply(opt, OptionReply.Info, payload), exportInfo(opt, 1n << 20n, 1), encodeOptionReply(opt, OptionReply.Ack)]);
    }
    case 'export':
      return Buffer.concat([exportInfo(opt, g.size, g.flags), encodeOptionReply(opt, OptionReply.Ack)]);
    case 'metaContext':
      return encodeOptionReply(opt, OptionReply.MetaContext, Buffer.from(g.data));
    case 'reply':
      return encodeOptionReply(opt, g.type, Buffer.from(g.data));
  }
}

function exportInfo(option: number, size: bigint, flags: number): Buffer {
  const payload = Buffer.alloc(12);
  payload.writeUInt16BE(InfoType.Export, 0);
  payload.writeBigUInt64BE(size, 2);
  payload.writeUInt16BE(flags, 10);
  return encodeOptionReply(option, OptionReply.Info, payload);
}
