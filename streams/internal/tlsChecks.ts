import type { Socket } from 'node:net';
import { InvalidArgumentError, type RxbridgeError } from '../../src/core/errors.js';
import { TlsError } from '../../src/core/tlsError.js';
import { readerSlotOf } from './readerSlot.js';

/** Keeps a late 'error' of a socket we gave up on from being unhandled. */
export function ignoreError(): void {}

/**
 * Why a socket cannot be upgraded to TLS now, or undefined when it can: a
 * socketSource still reads it (the handshake bytes would go to it), or bytes
 * already arrived after the peer agreed to TLS. Those bytes came in
 * plaintext where the TLS handshake belongs: taking them as TLS, or as
 * protocol, would let a man in the middle inject data (the STARTTLS
 * injection attacks), so the upgrade is refused.
 */
export function checkNoPlaintextLeft(socket: Socket): RxbridgeError | undefined {
  const slot = readerSlotOf(socket);
  if (slot.reader !== undefined) {
    return new InvalidArgumentError('unsubscribe the socketSource of a socket before upgrading it to TLS');
  }
  const early = slot.pending.reduce((n, chunk) => n + chunk.length, 0) + socket.readableLength;
  if (early > 0) return new TlsError(`the peer sent ${early} plaintext bytes where the TLS handshake belongs`);
  return undefined;
}

/** A TLS library error as a TlsError, its code kept as `reason`. */
export function tlsError(what: string, err: unknown): TlsError {
  if (err instanceof TlsError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return new TlsError(`${what}: ${message}`, { cause: err, reason: typeof code === 'string' ? code : undefined });
}
