/**
 * Connects to an NBD server with the project's socket code and handshake,
 * asking for simple replies (what the classic clients parse), and hands the
 * socket over in transmission phase.
 */
import type { Socket } from 'node:net';
import { firstValueFrom } from 'rxjs';
import { connect } from '../../../streams/connect.js';
import { negotiate } from '../../nbd/client/handshake.js';
import type { NbdExportInfo } from '../../nbd/client/types.js';
import { parseNbdUri } from '../../nbd/uri.js';
import { UnsupportedError } from '../../core/errors.js';
import type { ClassicClientOptions } from './types.js';

export interface NbdSocket {
  readonly socket: Socket;
  readonly info: NbdExportInfo;
  /** Destroys the socket (ends the `connect` subscription). */
  release(): void;
}

/** Opens a connection to `uri` and negotiates the export; rejects with the connect or handshake error. */
export async function openNbdSocket(uri: string, options: ClassicClientOptions = {}): Promise<NbdSocket> {
  const parsed = parseNbdUri(uri);
  if (parsed.tls !== 'off') throw new UnsupportedError('the lab clients do not speak TLS');
  let resolveSocket!: (s: Socket) => void;
  let rejectSocket!: (e: unknown) => void;
  const connected = new Promise<Socket>((resolve, reject) => {
    resolveSocket = resolve;
    rejectSocket = reject;
  });
  // connect()'s Observable lives as long as the socket: hold it, and unsubscribe to destroy.
  const subscription = connect({
    host: parsed.host,
    port: parsed.port,
    path: parsed.socketPath,
    noDelay: options.noDelay ?? true,
    timeoutMs: options.connectTimeoutMs,
  }).subscribe({ next: resolveSocket, error: rejectSocket });
  try {
    const socket = await connected;
    const info = await firstValueFrom(negotiate(socket, { exportName: options.exportName ?? parsed.exportName, structuredReplies: false }));
    return { socket, info, release: () => subscription.unsubscribe() };
  } catch (err) {
    subscription.unsubscribe();
    throw err;
  }
}
