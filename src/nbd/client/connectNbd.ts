import type { Socket } from 'node:net';
import { Observable, Subscription, switchMap } from 'rxjs';
import { InvalidArgumentError, ProtocolError, UnsupportedError } from '../../core/errors.js';
import { connect } from '../../../streams/connect.js';
import { DEFAULT_PORT } from '../protocol.js';
import { parseNbdUri } from '../uri.js';
import { listExportsOn } from './handshake.js';
import { negotiateOver, openChannel } from './secureChannel.js';
import { resolveTls, type TlsPlan } from './tlsOptions.js';
import { NbdClient } from './nbdClient.js';
import { NbdConnection } from './nbdConnection.js';
import type { ClientConnection } from './clientConnection.js';
import { ReconnectingConnection } from './reconnectingConnection.js';
import { resolveReconnect } from './reconnectPolicy.js';
import type { NbdExportInfo, NbdOptions } from './types.js';

const DEFAULT_MAX_REQUEST_BYTES = 256 * 1024;
const DEFAULT_MAX_REPLY_BYTES = 64 * 1024 * 1024;

interface Opened {
  socket: Socket;
  info: NbdExportInfo;
}

/**
 * Connects to an NBD server: `nbd://host[:port]/export` or
 * `nbd+unix:///export?socket=PATH`, over TLS with `nbds://` and
 * `nbds+unix://` (or `tls: 'prefer' | 'require'`; see tlsOptions.ts). Cold: each subscription connects anew,
 * negotiates, emits one {@link NbdClient} and completes; from then on the
 * client is the caller's, to `close()` (or `destroy()`). Unsubscribing
 * before it is emitted cancels the connection.
 */
export function connectNbd(uri: string, options: NbdOptions = {}): Observable<NbdClient> {
  return new Observable<NbdClient>((subscriber) => {
    const opened: Opened[] = [];
    // Every socket's lease, from the moment it starts connecting: a failure or
    // a cancellation must also drop the connections still being opened.
    const leases = new Subscription();
    let handedOver = false;
    const dropAll = () => {
      if (!handedOver) leases.unsubscribe();
    };
    const run = async () => {
      const target = targetOf(uri, options);
      const wanted = options.connections ?? 1;
      if (!Number.isInteger(wanted) || wanted < 1) throw new InvalidArgumentError(`connections must be a positive integer, not ${wanted}`);
      opened.push(await openOne(target, options, leases));
      const info = opened[0].info;
      if (wanted > 1 && !info.canMultiConn) {
        throw new UnsupportedError(`the server does not allow multiple connections (no CAN_MULTI_CONN); asked for ${wanted}`);
      }
      const rest = await Promise.all(Array.from({ length: wanted - 1 }, () => openOne(target, options, leases)));
      for (const o of rest) {
        if (o.info.size !== info.size || o.info.transmissionFlags !== info.transmissionFlags || o.info.structuredReplies !== info.structuredReplies) {
          throw new ProtocolError('the connections of one client disagree about the export (size, flags or structured replies)', 'NBD_EXPORT_CHANGED');
        }
      }
      opened.push(...rest);
      if (subscriber.closed) return;
      const physical = (o: Opened) => new NbdConnection(o.socket, info.structuredReplies, options.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES, options);
      const reconnect = options.reconnect ? resolveReconnect(options.reconnect) : undefined;
      // A new connection must lead to the same export, or replaying onto it would be wrong.
      const reopen = async () => {
        const o = await openOne(target, options, leases);
        if (o.info.size !== info.size || o.info.readOnly !== info.readOnly) {
          o.socket.destroy();
          throw new ProtocolError(`after reconnecting, the export is ${o.info.size} bytes (was ${info.size})`, 'NBD_EXPORT_CHANGED');
        }
        return physical(o);
      };
      const connections: ClientConnection[] = opened.map((o) =>
        reconnect ? new ReconnectingConnection(physical(o), reopen, reconnect, options.maxQueued ?? 65536) : physical(o),
      );
      // The sockets now belong to the client: it releases the leases once closed.
      const release = () => leases.unsubscribe();
      const client = new NbdClient(info, connections, options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES, release);
      handedOver = true;
      subscriber.next(client);
      subscriber.complete();
    };
    run().catch((err) => {
      dropAll();
      subscriber.error(err);
    });
    return dropAll;
  });
}

/** NBD_OPT_LIST: the server's exports, one at a time. */
export function listExports(uri: string, options: NbdOptions = {}): Observable<{ name: string; description: string }> {
  return new Observable((subscriber) => {
    const target = targetOf(uri, options);
    return connect(target).pipe(
      switchMap((socket) => openChannel(socket, target.tls, options.handshakeTimeoutMs)),
      switchMap((ch) => listExportsOn(ch.socket, ch.remainingMs(), ch.clientFlags)),
    ).subscribe({
      next: (exports) => {
        for (const e of exports) subscriber.next(e);
        subscriber.complete();
      },
      error: (err) => subscriber.error(err),
    });
  });
}

type Target = Parameters<typeof connect>[0] & { exportName: string; tls: TlsPlan };

function targetOf(uri: string, options: NbdOptions): Target {
  const parsed = parseNbdUri(uri);
  const common = {
    tls: resolveTls(parsed, options),
    timeoutMs: options.connectTimeoutMs,
    receiveBufferBytes: options.receiveBufferBytes,
    noDelay: options.noDelay,
    exportName: options.exportName ?? parsed.exportName,
  };
  return parsed.transport === 'unix'
    ? { ...common, path: parsed.socketPath }
    : { ...common, host: parsed.host, port: parsed.port ?? DEFAULT_PORT };
}

/** Connects and negotiates one connection; its lease (unsubscribing destroys the socket) joins `leases`. */
function openOne(target: Target, options: NbdOptions, leases: Subscription): Promise<Opened> {
  return new Promise<Opened>((resolve, reject) => {
    let settled = false;
    const lease = new Subscription();
    leases.add(lease);
    lease.add(connect(target).pipe(
      // The TLS socket, after STARTTLS, is the one the connection then uses.
      switchMap((s) => negotiateOver(s, target.tls, {
        exportName: target.exportName,
        structuredReplies: options.structuredReplies,
        timeoutMs: options.handshakeTimeoutMs,
      })),
    ).subscribe({
      next: (opened) => {
        settled = true;
        resolve(opened);
      },
      error: (err) => {
        if (!settled) reject(err);
      },
    }));
  });
}
