/**
 * A loopback connection upgraded to TLS on both ends, as after STARTTLS:
 * `connect()` on our side, upgradeTls over it; acceptTls over the server's
 * side. Certificates come from spec/helpers/testCertificates.ts.
 */
import type { TLSSocket } from 'node:tls';
import { Subscription, type Observable } from 'rxjs';
import { acceptTls, type AcceptTlsOptions } from '../../streams/acceptTls.js';
import { upgradeTls, type UpgradeTlsOptions } from '../../streams/upgradeTls.js';
import { makeTestCertificates, type TestCertificates } from '../helpers/testCertificates.js';
import { openLoopback, type Loopback, type LoopbackOptions } from './loopback.js';

let shared: TestCertificates | undefined;

/** One CA with server and client certificates, made once per process (a few ms). */
export function testCertificates(): TestCertificates {
  return (shared ??= makeTestCertificates());
}

export interface TlsLoopback {
  /** Our TLS socket, from upgradeTls over `plain.client`. */
  readonly client: TLSSocket;
  /** The server's TLS socket, from acceptTls over `plain.peer`. */
  readonly peer: TLSSocket;
  readonly plain: Loopback;
  /** Unsubscribes both upgrades (destroying the TLS sockets) and closes the plain loopback. */
  close(): Promise<void>;
}

/** Plain loopback first, then both upgrades at once; rejects with the client's error if either fails. */
export async function openTlsLoopback(
  options: LoopbackOptions & { client?: Partial<UpgradeTlsOptions>; server?: Partial<AcceptTlsOptions> } = {},
): Promise<TlsLoopback> {
  const certs = testCertificates();
  const plain = await openLoopback(options);
  const leases = new Subscription();
  const server$ = acceptTls(plain.peer, { key: certs.server.key, cert: certs.server.cert, ...options.server });
  const client$ = upgradeTls(plain.client, { ca: certs.ca, host: '127.0.0.1', ...options.client });
  const peerPromise = new Promise<TLSSocket>((resolve, reject) => leases.add(server$.subscribe({ next: resolve, error: reject })));
  peerPromise.catch(() => {}); // reported through the client's failure, or awaited below
  const clientPromise = new Promise<TLSSocket>((resolve, reject) => leases.add(client$.subscribe({ next: resolve, error: reject })));
  const close = async () => {
    leases.unsubscribe();
    await plain.close();
  };
  try {
    const [client, peer] = await Promise.all([clientPromise, peerPromise]);
    peer.on('error', () => {}); // resets are provoked on purpose
    return { client, peer, plain, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The first value of an upgrade Observable, or its error, keeping the subscription in `leases`. */
export function upgraded<T>(source: Observable<T>, leases: Subscription): Promise<T> {
  return new Promise<T>((resolve, reject) => leases.add(source.subscribe({ next: resolve, error: reject })));
}
