/** Counters every connection of one server adds to (plain numbers: cheap on the hot path). */
export interface ServerCounters {
  /** Connections accepted since listening. */
  accepted: number;
  /** Connections open now. */
  open: number;
  /** Connections that reached the transmission phase. */
  transmitting: number;
  /** Connections the server dropped for breaking the protocol (bad magic, bad handshake, oversized frame). */
  dropped: number;
  /** Transmission requests received (DISC excluded). */
  requests: number;
  /** Error replies sent (refused requests and injected faults). */
  errors: number;
  /** Injected faults: EIO replies and disconnects. */
  faults: number;
  /** Bytes received on all sockets. */
  bytesIn: number;
  /** Bytes handed to the kernel on all sockets. */
  bytesOut: number;
  /** WRITE payload bytes received. */
  bytesWritten: number;
  /** READ data bytes served. */
  bytesRead: number;
}

/** A snapshot of a server's counters plus its stores' allocation. */
export interface NbdServerStats extends Readonly<ServerCounters> {
  /** Bytes allocated in each export's store, by export name. */
  readonly allocatedBytes: Readonly<Record<string, number>>;
}

export function newCounters(): ServerCounters {
  return { accepted: 0, open: 0, transmitting: 0, dropped: 0, requests: 0, errors: 0, faults: 0, bytesIn: 0, bytesOut: 0, bytesWritten: 0, bytesRead: 0 };
}
