import type { Command } from 'commander';
import type { NbdOptions, NbdTlsOptions } from '../nbd/client/index.js';
import { choiceOption } from './options.js';

const DEFAULT_MAX_REQUEST_BYTES = 256 * 1024;
const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;
/** The engine's default cap on one write batch (EngineOptions.maxBatchBytes). */
const DEFAULT_MAX_BATCH_BYTES = 1024 * 1024;
/** Room in a batch for the request headers that go with the payloads (28 or 32 bytes each). */
const HEADER_ROOM = 4096;

/**
 * Client options for a command that keeps `requests` requests of up to
 * `requestSize` bytes in flight over `connections` connections: each
 * connection's window admits its share, and requests are not split.
 *
 * A write batch holds a whole request with its header: at the engine's
 * default cap (1 MiB), a 1 MiB WRITE went out as a writev of its header and
 * all but its last 28 bytes, then a second write for those 28 bytes, and
 * four 256 KiB WRITEs did the same to the fourth.
 */
export function nbdOptionsFor(connections: number, requests: number, requestSize: number): NbdOptions {
  const perConnection = Math.max(1, Math.ceil(requests / connections));
  return {
    connections,
    maxRequests: perConnection,
    maxBytes: Math.max(perConnection * requestSize, DEFAULT_MAX_BYTES),
    maxRequestBytes: Math.max(requestSize, DEFAULT_MAX_REQUEST_BYTES),
    maxBatchBytes: Math.max(requestSize, DEFAULT_MAX_BATCH_BYTES) + HEADER_ROOM,
  };
}

/** The TLS flags of info, copy and bench, as commander names them. */
export interface TlsCliFlags {
  tls?: 'prefer' | 'require';
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** Adds --tls, --tls-ca, --tls-cert and --tls-key to a client command. */
export function addTlsOptions(command: Command): Command {
  return command
    .option('--tls <mode>', "prefer: TLS when the server offers it; require: STARTTLS or fail (nbds:// URIs always require it)", choiceOption(['prefer', 'require'] as const))
    .option('--tls-ca <file>', "CA certificates (PEM) the server's certificate must chain to (default: the URI's tls-certificates folder, else the system's)")
    .option('--tls-cert <file>', 'client certificate (PEM), for servers that verify clients')
    .option('--tls-key <file>', "the client certificate's private key (PEM)");
}

/** Where bin/rxbridge moves NODE_EXTRA_CA_CERTS (why: see there); the client reads it as `tlsExtraCaFile`. */
export const DEFERRED_EXTRA_CA_CERTS = 'RXBRIDGE_EXTRA_CA_CERTS';

/** The client's TLS options from those flags (only the ones given), and the extra CA bundle bin/rxbridge handed over. */
export function tlsOptionsOf(flags: TlsCliFlags, env: NodeJS.ProcessEnv = process.env): NbdTlsOptions {
  const options: NbdTlsOptions = {};
  const extraCa = env[DEFERRED_EXTRA_CA_CERTS];
  if (extraCa) options.tlsExtraCaFile = extraCa;
  if (flags.tls !== undefined) options.tls = flags.tls;
  if (flags.tlsCa !== undefined) options.tlsCa = flags.tlsCa;
  if (flags.tlsCert !== undefined) options.tlsCert = flags.tlsCert;
  if (flags.tlsKey !== undefined) options.tlsKey = flags.tlsKey;
  return options;
}
