/**
 * NBD errors with stable codes: a transmission error reply ({@link NbdError}),
 * a refused handshake option ({@link NbdOptionError}) and a broken handshake
 * ({@link NbdHandshakeError}). Callers branch on `code`.
 */
import { ProtocolError, RxbridgeError } from '../core/errors.js';
import { ERRNO_NAMES, OPTION_REPLY_ERROR_BIT } from './protocol.js';

/** Wire errno → its name; unknown values count as EINVAL (proto.md), the raw number is kept elsewhere. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? 'EINVAL';
}

/**
 * The server answered a request with an error (simple reply error field, or
 * an ERROR / ERROR_OFFSET chunk). `code` is `NBD_<NAME>` (`NBD_EIO`, …);
 * an errno NBD does not define gets `NBD_EINVAL` while `errno` keeps the raw value.
 */
export class NbdError extends RxbridgeError {
  /** The errno exactly as the server sent it. */
  readonly errno: number;
  /** The name `code` was built from: `EIO`, …, `EINVAL` for unknown values. */
  readonly errnoName: string;
  /** The human-readable message of an error chunk, if the server sent one. */
  readonly serverMessage: string | undefined;
  /** Where the error happened (ERROR_OFFSET chunks). */
  readonly offset: bigint | undefined;

  constructor(errno: number, serverMessage?: string, offset?: bigint) {
    const known = ERRNO_NAMES[errno];
    const name = known ?? 'EINVAL';
    let message = known
      ? `NBD server error ${name} (errno ${errno})`
      : `NBD server error ${errno} (unknown errno, treated as EINVAL)`;
    if (offset !== undefined) message += ` at offset ${offset}`;
    if (serverMessage) message += `: ${serverMessage}`;
    super(`NBD_${name}`, message);
    this.errno = errno;
    this.errnoName = name;
    this.serverMessage = serverMessage || undefined;
    this.offset = offset;
  }
}

const OPTION_NAMES: Readonly<Record<number, string>> = {
  1: 'EXPORT_NAME',
  2: 'ABORT',
  3: 'LIST',
  5: 'STARTTLS',
  6: 'INFO',
  7: 'GO',
  8: 'STRUCTURED_REPLY',
  9: 'LIST_META_CONTEXT',
  10: 'SET_META_CONTEXT',
};

/** Option error reply types (2^31 + n) by n, named as in proto.md without the `NBD_REP_ERR_` prefix. */
const OPTION_ERROR_NAMES: Readonly<Record<number, string>> = {
  1: 'UNSUP',
  2: 'POLICY',
  3: 'INVALID',
  4: 'PLATFORM',
  5: 'TLS_REQD',
  6: 'UNKNOWN',
  7: 'SHUTDOWN',
  8: 'BLOCK_SIZE_REQD',
  9: 'TOO_BIG',
};

/** A readable option name (`NBD_OPT_GO`), or `option <n>` when unknown. */
export function optionName(option: number): string {
  const name = OPTION_NAMES[option];
  return name ? `NBD_OPT_${name}` : `option ${option}`;
}

/** True when an option reply type has bit 31 set (an error reply). */
export function isOptionErrorReply(replyType: number): boolean {
  return replyType >= OPTION_REPLY_ERROR_BIT;
}

/** Stable code for an option error reply type: `NBD_OPT_UNSUP`, …; `NBD_OPT_ERROR` for error types proto.md does not define. */
export function optionErrorCode(replyType: number): string {
  const name = OPTION_ERROR_NAMES[replyType - OPTION_REPLY_ERROR_BIT];
  return name ? `NBD_OPT_${name}` : 'NBD_OPT_ERROR';
}

/** The server refused a handshake option with an error reply (bit 31 set in the reply type). */
export class NbdOptionError extends RxbridgeError {
  constructor(
    /** The option the client sent (NBD_OPT_*). */
    readonly option: number,
    /** The raw reply type (2^31 + n). */
    readonly replyType: number,
    /** The server's message (may be empty). */
    readonly serverMessage = '',
  ) {
    const code = optionErrorCode(replyType);
    const what = code === 'NBD_OPT_ERROR' ? `error reply 0x${replyType.toString(16)}` : code.slice('NBD_OPT_'.length);
    super(code, `server refused ${optionName(option)}: ${what}${serverMessage ? `: ${serverMessage}` : ''}`);
  }
}

/**
 * The handshake cannot go on: bad magic, oldstyle server, missing fixed
 * newstyle, malformed option data (`NBD_OPT_INVALID`), oversized option
 * (`NBD_OPTION_TOO_BIG`). Default code `NBD_HANDSHAKE`.
 */
export class NbdHandshakeError extends ProtocolError {
  /** The option concerned, when there is one (e.g. the oversized option). */
  readonly option: number | undefined;

  constructor(message: string, code = 'NBD_HANDSHAKE', option?: number) {
    super(message, code);
    this.option = option;
  }
}
