import type { Socket } from 'node:net';

/** What a subscribed socketSource registers in its socket's slot. */
export interface SocketReader {
  /** Receives each chunk; the chunk may view the reused receive buffer. */
  next(chunk: Buffer): void;
  /**
   * Where the next read should land, when the reader knows the coming bytes
   * are payload with a home (a caller's destination); undefined: the
   * reusable receive buffer.
   */
  nextBuffer?(): Buffer | undefined;
  /** True while downstream asked to pause: reading stops after the current chunk. */
  readonly paused: boolean;
}

/**
 * Per-socket read state shared by connect, socketSource and endSocket: the
 * reader currently subscribed (at most one), and, for a socket connected with
 * a reusable receive buffer, the routing of Node's `onread` callback to it.
 *
 * With `onread` the socket emits no `'data'` events; every read lands in
 * `receiveBuffer` and `onRead` hands a view of it to the reader. Between
 * readers the socket is paused, so bytes wait in the kernel. Should a read
 * still slip through while nobody may take it (no reader, or a paused one), a
 * copy goes to `pending` and reading stops; the next reader gets it first.
 */
export class ReaderSlot {
  reader: SocketReader | undefined = undefined;
  /** Copies of chunks read while nobody could take them; normally empty. */
  readonly pending: Buffer[] = [];

  /** @param receiveBuffer the reusable `onread` buffer; undefined for sockets read through `'data'` events. */
  constructor(readonly receiveBuffer: Buffer | undefined) {}

  /**
   * Node's `onread.buffer` as a function: called after every read for the
   * buffer of the next one. A reader that knows the next bytes are payload
   * for a destination of its own gets the kernel to write them there, which
   * saves copying them out of the receive buffer.
   */
  readonly nextBuffer = (): Buffer => {
    const reader = this.reader;
    return (reader !== undefined && !reader.paused && this.pending.length === 0 && reader.nextBuffer?.()) || this.receiveBuffer!;
  };

  /** The `onread` callback: returning false makes Node stop reading the socket. */
  readonly onRead = (nread: number, buffer: Uint8Array): boolean => {
    const chunk = buffer === this.receiveBuffer ? this.receiveBuffer.subarray(0, nread) : Buffer.from(buffer.buffer, buffer.byteOffset, nread);
    const reader = this.reader;
    if (reader === undefined || reader.paused || this.pending.length > 0) {
      // The next read reuses the buffer, so a chunk nobody takes now is copied.
      this.pending.push(Buffer.from(chunk));
      return false;
    }
    reader.next(chunk);
    // The reader may have left or paused during the emission.
    return this.reader === reader && !reader.paused;
  };
}

const slots = new WeakMap<Socket, ReaderSlot>();

/** Registers the slot whose `onRead` was passed to `net.connect`. */
export function attachReaderSlot(socket: Socket, slot: ReaderSlot): void {
  slots.set(socket, slot);
}

/** The socket's slot; sockets not made by `connect` (servers' sockets, TLS) get a `'data'`-event slot. */
export function readerSlotOf(socket: Socket): ReaderSlot {
  let slot = slots.get(socket);
  if (slot === undefined) {
    slot = new ReaderSlot(undefined);
    slots.set(socket, slot);
  }
  return slot;
}
