import { TlsError } from '../../core/tlsError.js';
import { NbdHandshakeError, NbdOptionError, isOptionErrorReply, optionErrorCode, optionName } from '../errors.js';
import { encodeOption, optionErrorMessage } from '../handshakeClient.js';
import { Option, OptionError, OptionReply } from '../protocol.js';
import { NbdTlsRequiredError } from '../tlsErrors.js';
import { greet } from './handshake.js';
import type { HandshakeSession } from './handshakeSession.js';

/** Refusals after which `prefer` goes on in plaintext: the server has no TLS (or will not use it). */
const PLAINTEXT_OK: ReadonlySet<number> = new Set([OptionError.Unsup, OptionError.Policy, OptionError.Platform]);

export interface StartTlsOutcome {
  /** The client flags sent in answer to the greeting. */
  readonly clientFlags: number;
  /** True: the server agreed, start TLS now. False (`prefer` only): go on in plaintext. */
  readonly agreed: boolean;
}

/**
 * The greeting, then NBD_OPT_STARTTLS as the very first option (NBD.md, TLS).
 *
 * With `require`, every refusal is fatal and nothing more is sent: an error
 * reply, a reply for another option, any reply other than a bare ACK, and a
 * greeting without fixed newstyle (then not even the client flags go out)
 * all fail with NbdTlsRequiredError (`NBD_TLS_REQUIRED`): a man in the
 * middle fakes exactly these to keep the connection in plaintext. With
 * `prefer`, UNSUP, POLICY and PLATFORM mean plaintext; anything else
 * malformed is a handshake error. Bytes after the ACK, before the TLS
 * handshake, are refused in both modes with TlsError (`RXB_TLS`): plaintext
 * injection.
 *
 * @param session the handshake session on the plain socket, before the greeting
 * @param mode `require` or `prefer`
 * @return the client flags sent, and whether to upgrade now
 */
export async function requestStartTls(session: HandshakeSession, mode: 'prefer' | 'require'): Promise<StartTlsOutcome> {
  const required = mode === 'require';
  let clientFlags: number;
  try {
    clientFlags = await greet(session);
  } catch (err) {
    if (required && err instanceof NbdHandshakeError && err.code === 'NBD_NO_FIXED_NEWSTYLE') {
      throw new NbdTlsRequiredError('the greeting offers no fixed newstyle negotiation, so no STARTTLS', { cause: err });
    }
    throw err;
  }
  session.write(encodeOption(Option.StartTls));
  const reply = await session.next((r) => r.readOptionReply());
  const refuse = (why: string): never => {
    throw required ? new NbdTlsRequiredError(why) : new NbdHandshakeError(why);
  };

  if (reply.option !== Option.StartTls) refuse(`a reply for ${optionName(reply.option)} came to NBD_OPT_STARTTLS`);
  if (isOptionErrorReply(reply.type)) {
    const refusal = new NbdOptionError(reply.option, reply.type, optionErrorMessage(reply.data));
    if (required) throw new NbdTlsRequiredError(`it answered NBD_OPT_STARTTLS with ${optionErrorCode(reply.type)}`, { cause: refusal });
    if (session.reader.buffered > 0) throw new NbdHandshakeError('bytes the client did not ask for followed the STARTTLS refusal');
    if (PLAINTEXT_OK.has(reply.type)) return { clientFlags, agreed: false };
    throw refusal;
  }
  if (reply.type !== OptionReply.Ack || reply.data.length !== 0) refuse(`reply type ${reply.type} with ${reply.data.length} bytes to NBD_OPT_STARTTLS`);
  if (session.reader.buffered > 0) {
    // Not `refuse`: an injection is an attack in either mode (upgradeTls refuses later ones the same way).
    throw new TlsError(`the server sent ${session.reader.buffered} plaintext bytes where the TLS handshake belongs`);
  }
  return { clientFlags, agreed: true };
}
