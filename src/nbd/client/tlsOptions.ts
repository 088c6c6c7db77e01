/**
 * TLS settings of an NBD connection, from the URI (nbds://, `tls-certificates`,
 * `tls-hostname`, `tls-verify-peer`) and the options, resolved into what
 * the handshake does (`mode`) and what `upgradeTls` gets (`connection`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { InvalidArgumentError, UnsupportedError } from '../../core/errors.js';
import type { UpgradeTlsOptions } from '../../../streams/upgradeTls.js';
import type { NbdUri } from '../uri.js';

/**
 * `require`: NBD_OPT_STARTTLS first; any refusal fails the connection and
 * nothing else is sent in plaintext. `prefer`: TLS when the server agrees,
 * plaintext when it answers UNSUP, POLICY or PLATFORM (so a man in the
 * middle can force plaintext: use `require` where that matters). `off`: no TLS.
 */
export type TlsMode = 'off' | 'prefer' | 'require';

export interface NbdTlsOptions {
  /** Default `require` for nbds:// and nbds+unix:// (which cannot be weakened), else `off`. */
  tls?: TlsMode;
  /** CA certificates (PEM file) the server's certificate must chain to; default the URI's `tls-certificates` folder, else Node's CA store. */
  tlsCa?: string;
  /**
   * A PEM file of CA certificates that extend Node's bundled roots when no CA
   * is named (neither `tlsCa` nor the URI's folder), as NODE_EXTRA_CA_CERTS
   * does. The CLI's launcher hands NODE_EXTRA_CA_CERTS over this way, so that
   * Node.js does not parse the bundle at every start-up (bin/rxbridge).
   */
  tlsExtraCaFile?: string;
  /** Client certificate (PEM file), for servers that verify clients; needs `tlsKey`. */
  tlsCert?: string;
  /** The client certificate's private key (PEM file). */
  tlsKey?: string;
  /** The name the server's certificate must carry (and SNI); default the URI's `tls-hostname`, else its host. */
  tlsServername?: string;
  /** Verify the server's certificate and name (default true, or the URI's `tls-verify-peer`). */
  tlsVerifyPeer?: boolean;
}

export interface TlsPlan {
  readonly mode: TlsMode;
  /** For upgradeTls; empty when `mode` is `off`. */
  readonly connection: UpgradeTlsOptions;
}

/** The files of a `tls-certificates=DIR` folder, in the layout libnbd and nbdkit use. */
const CA_FILE = 'ca-cert.pem';
const CLIENT_CERT_FILE = 'client-cert.pem';
const CLIENT_KEY_FILE = 'client-key.pem';

/**
 * Works out the TLS mode and reads the certificate files (at connect time:
 * a few small files).
 *
 * @throws InvalidArgumentError for contradictory settings or unreadable files; UnsupportedError for PSK.
 */
export function resolveTls(uri: NbdUri, options: NbdTlsOptions): TlsPlan {
  const mode = resolveMode(uri, options.tls);
  if (mode === 'off') return { mode, connection: {} };
  if (uri.params['tls-psk-file'] !== undefined || (uri.params['tls-type'] ?? 'x509') !== 'x509') {
    throw new UnsupportedError('TLS with pre-shared keys (tls-type=psk, tls-psk-file) is not supported; use X.509 certificates');
  }

  const dir = uri.tlsCertificates;
  const ca =
    options.tlsCa !== undefined
      ? readPem(options.tlsCa, 'TLS CA')
      : dir !== undefined
        ? readPem(join(dir, CA_FILE), 'TLS CA')
        : options.tlsExtraCaFile !== undefined
          ? [...rootCertificates, readPem(options.tlsExtraCaFile, 'extra CA certificates (NODE_EXTRA_CA_CERTS)')!]
          : undefined;
  let cert: Buffer | undefined;
  let key: Buffer | undefined;
  if (options.tlsCert !== undefined || options.tlsKey !== undefined) {
    if (options.tlsCert === undefined || options.tlsKey === undefined) {
      throw new InvalidArgumentError('a TLS client certificate needs both tlsCert and tlsKey (--tls-cert and --tls-key)');
    }
    cert = readPem(options.tlsCert, 'TLS client certificate');
    key = readPem(options.tlsKey, 'TLS client key');
  } else if (dir !== undefined) {
    // Optional in the folder, as for libnbd: only servers that verify clients need them.
    cert = readPem(join(dir, CLIENT_CERT_FILE), 'TLS client certificate', true);
    key = readPem(join(dir, CLIENT_KEY_FILE), 'TLS client key', true);
    if ((cert === undefined) !== (key === undefined)) {
      throw new InvalidArgumentError(`${dir} has only one of ${CLIENT_CERT_FILE} and ${CLIENT_KEY_FILE}`);
    }
  }

  const hostname = options.tlsServername ?? uri.tlsHostname ?? (uri.transport === 'tcp' ? uri.host! : 'localhost');
  const verify = options.tlsVerifyPeer ?? uri.tlsVerifyPeer ?? true;
  return {
    mode,
    connection: {
      ca,
      cert,
      key,
      // `host` is what the certificate is checked against; SNI carries names, never addresses (RFC 6066).
      host: hostname,
      servername: isIpAddress(hostname) ? undefined : hostname,
      rejectUnauthorized: verify,
    },
  };
}

function resolveMode(uri: NbdUri, asked: TlsMode | undefined): TlsMode {
  if (asked !== undefined && asked !== 'off' && asked !== 'prefer' && asked !== 'require') {
    throw new InvalidArgumentError(`tls must be 'off', 'prefer' or 'require', not '${String(asked)}'`);
  }
  if (uri.tls === 'require') {
    if (asked !== undefined && asked !== 'require') {
      throw new InvalidArgumentError(`an nbds:// URI requires TLS; tls: '${asked}' would weaken it (use nbd:// for that)`);
    }
    return 'require';
  }
  return asked ?? 'off';
}

function readPem(path: string, what: string, optional = false): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (err) {
    if (optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InvalidArgumentError(`cannot read the ${what} file ${path}: ${(err as Error).message}`);
  }
}

function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}
