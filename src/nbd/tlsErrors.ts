/**
 * TLS outcomes of the NBD handshake, with stable codes. (A failed TLS
 * handshake itself, such as a certificate that does not verify, is a
 * TlsError, `RXB_TLS`, from src/core/tlsError.ts.)
 */
import { RxbridgeError } from '../core/errors.js';
import { optionName } from './errors.js';

/**
 * TLS was required (nbds://, `tls: 'require'`) and the server did not agree
 * to it: it refused NBD_OPT_STARTTLS, answered it with a reply for another
 * option, or offered no fixed newstyle negotiation. Someone may be trying to
 * force the connection into plaintext: nothing was sent after STARTTLS.
 * Code `NBD_TLS_REQUIRED`.
 */
export class NbdTlsRequiredError extends RxbridgeError {
  constructor(why: string, options?: { cause?: unknown }) {
    super('NBD_TLS_REQUIRED', `TLS is required but the server did not start it: ${why}; nothing was sent in plaintext`, options);
  }
}

/**
 * The server answered NBD_REP_ERR_TLS_REQD: it serves this only over TLS,
 * and the client did not ask for TLS. Code `NBD_SERVER_REQUIRES_TLS`.
 */
export class NbdServerRequiresTlsError extends RxbridgeError {
  constructor(readonly option: number, serverMessage = '') {
    super(
      'NBD_SERVER_REQUIRES_TLS',
      `the server requires TLS for ${optionName(option)}${serverMessage ? ` (${serverMessage})` : ''}: ` +
        `use an nbds:// URI (with tls-certificates=DIR or the --tls-ca/--tls-cert/--tls-key options) or tls: 'prefer'`,
    );
  }
}
