import { createServer, type Server, type Socket } from 'node:net';
import { Observable, Subscription } from 'rxjs';
import { InvalidArgumentError, toRxbridgeError } from '../../core/errors.js';
import { resolveModel, type DeviceModel } from '../../device/model.js';
import { DEFAULT_MAX_REQUEST_BYTES } from '../protocol.js';
import { buildExportTable, type NbdExportOptions } from './exportTable.js';
import { serveConnection, type ServerTlsOptions } from './serveConnection.js';
import { newCounters, type NbdServerStats } from './serverStats.js';

export interface ServeNbdOptions {
  /** TCP host to listen on (default 127.0.0.1). Ignored with `path`. */
  host?: string;
  /** TCP port (default 0: any free port). */
  port?: number;
  /** Listen on this Unix socket instead of TCP. */
  path?: string;
  /** Exports (default one export '' of 1 GiB). Every connection to an export shares its store. */
  exports?: NbdExportOptions[];
  /** A preset name (`gigabit`, `10gigabit`, `unlimited`) or a partial model over one (default `unlimited`). */
  model?: string | (Partial<DeviceModel> & { base?: string });
  /** Connections accepted at once; more are refused (closed at once). */
  maxConnections?: number;
  minimumBlockSize?: number;
  preferredBlockSize?: number;
  /** Largest READ/WRITE (default 32 MiB). */
  maximumBlockSize?: number;
  /** Reply bytes one connection may hold before it stops reading requests (default 32 MiB). */
  maxReplyBytes?: number;
  /** A connection stops reading while Node holds more unsent reply bytes than this (default 1 MiB). */
  lowWaterMark?: number;
  /** Offer structured replies (default true); false answers NBD_OPT_STRUCTURED_REPLY with ERR_UNSUP, like an old server. */
  structuredReplies?: boolean;
  /**
   * TLS: accept NBD_OPT_STARTTLS with this key and certificate (PEM);
   * `requestCert` asks clients for a certificate that chains to `ca`;
   * `require` refuses every option before STARTTLS (ERR_TLS_REQD).
   */
  tls?: ServerTlsOptions;
}

export type NbdServerAddress = { host: string; port: number } | { path: string };

export interface NbdServerHandle {
  readonly address: NbdServerAddress;
  /** `nbd://127.0.0.1:PORT/` or `nbd+unix:///?socket=PATH` (the default export); `nbds://…` when TLS is required. */
  readonly uri: string;
  readonly model: DeviceModel;
  /** Stops listening, drops every connection, completes the Observable; resolves once closed. */
  close(): Promise<void>;
  stats(): NbdServerStats;
}

/**
 * An NBD device emulator: a fixed newstyle server over sparse in-memory
 * exports, shaped by a device model (link bandwidth, service time,
 * parallelism, faults).
 *
 * ```
 * serveNbd(): ----h--------------|   (h: the handle, once listening; completes after close())
 * ```
 *
 * Cold: it listens on subscribe and closes (dropping every connection) on
 * unsubscribe. A listen error (port in use) is the Observable's error. A
 * misbehaving client only loses its own connection.
 *
 * @example
 * serveNbd({ model: 'gigabit' }).subscribe((server) => console.log(server.uri));
 *
 * @param options Address, exports, device model and limits.
 * @return A cold Observable of the server handle.
 */
export function serveNbd(options: ServeNbdOptions = {}): Observable<NbdServerHandle> {
  return new Observable<NbdServerHandle>((subscriber) => {
    const blockSizes = {
      minimum: options.minimumBlockSize ?? 1,
      preferred: options.preferredBlockSize ?? 4096,
      maximum: options.maximumBlockSize ?? DEFAULT_MAX_REQUEST_BYTES,
    };
    let exports;
    let model: DeviceModel;
    try {
      checkBlockSizes(blockSizes);
      exports = buildExportTable(options.exports);
      model = resolveModel(options.model);
    } catch (err) {
      subscriber.error(toRxbridgeError(err));
      return;
    }
    const counters = newCounters();
    const context = {
      exports,
      blockSizes,
      model,
      counters,
      maxReplyBytes: options.maxReplyBytes,
      lowWaterMark: options.lowWaterMark,
      structuredReplies: options.structuredReplies,
      tls: options.tls,
      // A WRITE above the maximum is read and dropped up to twice the maximum (at least 64 MiB); beyond, dropped connection.
      maxDiscardBytes: Math.max(2 * blockSizes.maximum, 64 * 1024 * 1024),
    };
    const connections = new Subscription();
    const sockets = new Set<Socket>();
    let closed = false;

    const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
      sockets.add(socket);
      const subscription = serveConnection(socket, context).subscribe({
        complete: () => {
          sockets.delete(socket);
          connections.remove(subscription);
        },
      });
      if (!subscription.closed) connections.add(subscription);
    });
    if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;

    const closeAll = (): Promise<void> =>
      new Promise<void>((resolve) => {
        if (closed) {
          resolve();
          return;
        }
        closed = true;
        connections.unsubscribe();
        for (const socket of sockets) socket.destroy();
        sockets.clear();
        if (server.listening) server.close(() => resolve());
        else resolve();
      });

    // On: a listening server may still report errors (accept failures); each ends it.
    server.on('error', (err) => {
      void closeAll();
      subscriber.error(toRxbridgeError(err));
    });

    server.once('listening', () => {
      const a = server.address();
      const address: NbdServerAddress =
        typeof a === 'string' || a === null ? { path: options.path ?? String(a) } : { host: a.address, port: a.port };
      const handle: NbdServerHandle = {
        address,
        uri: uriOf(address, options.tls?.require === true),
        model,
        close: () => closeAll().then(() => subscriber.complete()),
        stats: () => {
          const allocatedBytes: Record<string, number> = {};
          for (const [name, exp] of exports) allocatedBytes[name] = exp.store.allocatedBytes;
          return { ...counters, allocatedBytes };
        },
      };
      subscriber.next(handle);
    });

    if (options.path !== undefined) server.listen(options.path);
    else server.listen(options.port ?? 0, options.host ?? '127.0.0.1');

    return () => {
      void closeAll();
    };
  });
}

function checkBlockSizes(s: { minimum: number; preferred: number; maximum: number }): void {
  const powerOfTwo = (n: number) => Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
  if (!powerOfTwo(s.minimum) || s.minimum > 65536) throw new InvalidArgumentError(`minimum block size must be a power of two up to 64 KiB, got ${s.minimum}`);
  if (!powerOfTwo(s.preferred) || s.preferred < s.minimum || s.preferred < 512) {
    throw new InvalidArgumentError(`preferred block size must be a power of two, at least 512 and the minimum, got ${s.preferred}`);
  }
  if (!Number.isSafeInteger(s.maximum) || s.maximum < s.preferred || s.maximum % s.minimum !== 0 || s.maximum > 0xffffffff) {
    throw new InvalidArgumentError(`maximum block size must be a multiple of the minimum, at least the preferred, below 4 GiB, got ${s.maximum}`);
  }
}

function uriOf(address: NbdServerAddress, tls: boolean): string {
  const scheme = tls ? 'nbds' : 'nbd';
  if ('path' in address) return `${scheme}+unix:///?socket=${encodeURIComponent(address.path)}`;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${scheme}://${host}:${address.port}/`;
}
