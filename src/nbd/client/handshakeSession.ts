import type { Socket } from 'node:net';
import type { Subscription } from 'rxjs';
import { ConnectionClosedError, RxbridgeError, toRxbridgeError } from '../../core/errors.js';
import { socketSource } from '../../../streams/socketSource.js';
import { HandshakeReader } from '../handshakeClient.js';

/**
 * The I/O half of the client handshake: a reader fed by the socket source,
 * and a way to await the next message. Handshake messages are few and small,
 * so plain promises serve; the transmission phase uses the engine instead.
 */
export class HandshakeSession {
  readonly reader = new HandshakeReader();
  private waiter: (() => void) | undefined;
  private failure: Error | undefined;
  private readonly input: Subscription;

  constructor(private readonly socket: Socket) {
    this.input = socketSource(socket).subscribe({
      next: (chunk) => {
        try {
          this.reader.push(chunk);
        } catch (err) {
          this.fail(toRxbridgeError(err));
        }
        this.wake();
      },
      error: (err) => this.fail(toRxbridgeError(err)),
      complete: () => this.fail(new ConnectionClosedError('the server closed the connection during the handshake')),
    });
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Resolves with the first non-undefined result of `read`, re-trying it as bytes arrive. */
  async next<T>(read: (reader: HandshakeReader) => T | undefined): Promise<T> {
    for (;;) {
      if (this.failure) throw this.failure;
      const value = read(this.reader);
      if (value !== undefined) return value;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /** Fails the pending wait (a timeout, a cancellation). */
  fail(error: RxbridgeError): void {
    this.failure ??= error;
    this.wake();
  }

  /** Stops reading; the socket is paused for the engine to take over. */
  close(): void {
    this.input.unsubscribe();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
