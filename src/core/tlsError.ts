import { RxbridgeError } from './errors.js';

/**
 * A TLS connection could not be established: the handshake failed, the peer's
 * certificate did not verify (wrong CA, wrong host name, expired), or the
 * peer broke the TLS upgrade (plaintext bytes where the handshake belongs).
 * Code `RXB_TLS`; `reason` keeps the TLS library's code when there is one
 * (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `ERR_TLS_CERT_ALTNAME_INVALID`, ...).
 */
export class TlsError extends RxbridgeError {
  /** The underlying TLS error code, if any. */
  readonly reason: string | undefined;

  constructor(message: string, options?: { cause?: unknown; reason?: string }) {
    super('RXB_TLS', message, options);
    this.reason = options?.reason;
  }
}
