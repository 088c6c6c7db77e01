import type { Socket } from 'node:net';
import { Observable } from 'rxjs';
import { ProtocolError, RxbridgeError } from '../../core/errors.js';
import { NbdHandshakeError, NbdOptionError, isOptionErrorReply } from '../errors.js';
import {
  encodeClientFlags, encodeExportName, encodeGoOrInfo, encodeOption, encodeSetMetaContext,
  optionErrorMessage, parseInfo, parseMetaContextReply, parseServerReply, type NbdOptionReply,
} from '../handshakeClient.js';
import {
  ClientFlag, HandshakeFlag, InfoType, META_CONTEXT_BASE_ALLOCATION, Option, OptionError, OptionReply, TransmissionFlag,
} from '../protocol.js';
import { NbdServerRequiresTlsError } from '../tlsErrors.js';
import { HandshakeSession } from './handshakeSession.js';
import type { NbdExportInfo } from './types.js';

export interface HandshakeOptions {
  exportName: string;
  structuredReplies?: boolean;
  timeoutMs?: number;
  /** The client flags already sent, when the greeting was answered on an earlier session (before STARTTLS). */
  clientFlags?: number;
}

/** Runs the fixed newstyle handshake to transmission phase and emits what was agreed. */
export function negotiate(socket: Socket, options: HandshakeOptions): Observable<NbdExportInfo> {
  return runSession(socket, options.timeoutMs, (session) => goToTransmission(session, options));
}

/** NBD_OPT_LIST: the server's exports, then NBD_OPT_ABORT. */
export function listExportsOn(socket: Socket, timeoutMs?: number, clientFlags?: number): Observable<{ name: string; description: string }[]> {
  return runSession(socket, timeoutMs, async (session) => {
    if (clientFlags === undefined) await greet(session);
    session.write(encodeOption(Option.List));
    const exports: { name: string; description: string }[] = [];
    for (;;) {
      const reply = await optionReply(session, Option.List);
      if (reply.type === OptionReply.Ack) break;
      if (reply.type !== OptionReply.Server) throw unexpected(reply);
      exports.push(parseServerReply(reply.data));
    }
    session.write(encodeOption(Option.Abort));
    return exports;
  });
}

export function runSession<T>(socket: Socket, timeoutMs = 10_000, body: (s: HandshakeSession) => Promise<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    const session = new HandshakeSession(socket);
    const timer = setTimeout(
      () => session.fail(new RxbridgeError('NBD_HANDSHAKE_TIMEOUT', `handshake did not finish within ${timeoutMs} ms`)),
      timeoutMs,
    );
    body(session).then(
      (value) => {
        clearTimeout(timer);
        session.close();
        subscriber.next(value);
        subscriber.complete();
      },
      (err) => {
        clearTimeout(timer);
        session.close();
        subscriber.error(err);
      },
    );
    return () => {
      clearTimeout(timer);
      session.fail(new RxbridgeError('RXB_CANCELLED', 'handshake cancelled'));
      session.close();
    };
  });
}

export async function greet(session: HandshakeSession): Promise<number> {
  const { handshakeFlags } = await session.next((r) => r.readGreeting());
  if ((handshakeFlags & HandshakeFlag.FixedNewstyle) === 0) {
    throw new NbdHandshakeError('the server does not speak fixed newstyle negotiation', 'NBD_NO_FIXED_NEWSTYLE');
  }
  // Setting a bit the server did not offer makes it drop us: echo only what it offered.
  const flags = ClientFlag.FixedNewstyle | (handshakeFlags & HandshakeFlag.NoZeroes ? ClientFlag.NoZeroes : 0);
  session.write(encodeClientFlags(flags));
  return flags;
}

async function optionReply(session: HandshakeSession, option: Option): Promise<NbdOptionReply> {
  const reply = await session.next((r) => r.readOptionReply());
  if (reply.type === OptionError.TlsReqd) throw new NbdServerRequiresTlsError(reply.option, optionErrorMessage(reply.data));
  if (reply.option !== option) {
    throw new NbdHandshakeError(`reply for option ${reply.option} while waiting for option ${option}`);
  }
  return reply;
}

function unexpected(reply: NbdOptionReply): Error {
  if (isOptionErrorReply(reply.type)) return new NbdOptionError(reply.option, reply.type, optionErrorMessage(reply.data));
  return new NbdHandshakeError(`unexpected reply type ${reply.type} to option ${reply.option}`);
}

async function goToTransmission(session: HandshakeSession, options: HandshakeOptions): Promise<NbdExportInfo> {
  const clientFlags = options.clientFlags ?? (await greet(session));
  const name = options.exportName;

  let structuredReplies = false;
  if (options.structuredReplies !== false) {
    session.write(encodeOption(Option.StructuredReply));
    const reply = await optionReply(session, Option.StructuredReply);
    if (reply.type === OptionReply.Ack) structuredReplies = true;
    else if (!isOptionErrorReply(reply.type)) throw unexpected(reply);
  }

  let baseAllocation: number | undefined;
  if (structuredReplies) {
    session.write(encodeSetMetaContext(Option.SetMetaContext, name, [META_CONTEXT_BASE_ALLOCATION]));
    for (;;) {
      const reply = await optionReply(session, Option.SetMetaContext);
      if (reply.type === OptionReply.Ack || isOptionErrorReply(reply.type)) break;
      if (reply.type !== OptionReply.MetaContext) throw unexpected(reply);
      const context = parseMetaContextReply(reply.data);
      if (context.name === META_CONTEXT_BASE_ALLOCATION) baseAllocation = context.id;
    }
  }

  let size: bigint | undefined;
  let flags = 0;
  let blockSize: NbdExportInfo['blockSize'] = { minimum: 1, preferred: 4096, maximum: 0xffffffff, advertised: false };
  session.write(encodeGoOrInfo(Option.Go, name, [InfoType.BlockSize]));
  for (;;) {
    const reply = await optionReply(session, Option.Go);
    if (reply.type === OptionReply.Ack) break;
    if (reply.type === OptionError.Unsup) {
      // An old server: NBD_OPT_EXPORT_NAME has an unframed reply, and a failure is a disconnect.
      session.write(encodeExportName(name));
      const noZeroes = (clientFlags & ClientFlag.NoZeroes) !== 0;
      const legacy = await session.next((r) => r.readExportNameReply(noZeroes));
      size = legacy.size;
      flags = legacy.flags;
      break;
    }
    if (reply.type !== OptionReply.Info) throw unexpected(reply);
    const info = parseInfo(reply.data);
    if (info.type === 'export') {
      size = info.size;
      flags = info.flags;
    } else if (info.type === 'blockSize') {
      blockSize = { minimum: info.minimum, preferred: info.preferred, maximum: info.maximum, advertised: true };
    }
  }
  if (size === undefined) throw new ProtocolError('the server finished NBD_OPT_GO without NBD_INFO_EXPORT', 'NBD_HANDSHAKE');
  checkBlockSize(blockSize);
  return describe(name, size, flags, blockSize, structuredReplies, baseAllocation);
}

function checkBlockSize(bs: NbdExportInfo['blockSize']): void {
  const pow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;
  if (bs.advertised && (!pow2(bs.minimum) || bs.minimum > 65536 || bs.preferred < bs.minimum || bs.maximum < bs.minimum)) {
    throw new NbdHandshakeError(`invalid block size constraints ${bs.minimum}/${bs.preferred}/${bs.maximum}`);
  }
}

function describe(
  name: string, size: bigint, flags: number, blockSize: NbdExportInfo['blockSize'], structuredReplies: boolean, baseAllocation: number | undefined,
): NbdExportInfo {
  const has = (f: TransmissionFlag) => (flags & TransmissionFlag.HasFlags) !== 0 && (flags & f) !== 0;
  return {
    name,
    size,
    readOnly: has(TransmissionFlag.ReadOnly),
    canFlush: has(TransmissionFlag.SendFlush),
    canFua: has(TransmissionFlag.SendFua),
    canTrim: has(TransmissionFlag.SendTrim),
    canZero: has(TransmissionFlag.SendWriteZeroes),
    canFastZero: has(TransmissionFlag.SendFastZero),
    canMultiConn: has(TransmissionFlag.CanMultiConn),
    canCache: has(TransmissionFlag.SendCache),
    canDf: has(TransmissionFlag.SendDf),
    blockSize,
    structuredReplies,
    baseAllocation,
    transmissionFlags: flags,
  };
}
