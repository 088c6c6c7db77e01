/**
 * NBD URIs (NetworkBlockDevice doc/uri.md): `nbd://host[:port]/export`,
 * `nbds://…` (TLS required), `nbd+unix:///export?socket=PATH`, `nbds+unix://…`.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { DEFAULT_PORT } from './protocol.js';

export interface NbdUri {
  readonly transport: 'tcp' | 'unix';
  /** TCP: host name or IP address (IPv6 without brackets). */
  readonly host?: string;
  /** TCP: the port (10809 when the URI has none). */
  readonly port?: number;
  /** Unix: the socket path (may start with NUL for the abstract namespace). */
  readonly socketPath?: string;
  /** The percent-decoded path without its leading '/' (may be empty). */
  readonly exportName: string;
  /** `require` for nbds:// and nbds+unix://. */
  readonly tls: 'off' | 'require';
  /** `tls-certificates=DIR`. */
  readonly tlsCertificates?: string;
  /** `tls-verify-peer=0|1`. */
  readonly tlsVerifyPeer?: boolean;
  /** `tls-hostname=NAME`. */
  readonly tlsHostname?: string;
  /** Every query parameter, percent-decoded (including the ones above). */
  readonly params: Record<string, string>;
}

/** What {@link formatNbdUri} needs: an NbdUri whose `params` are optional. */
export type NbdUriParts = Omit<NbdUri, 'params'> & { readonly params?: Readonly<Record<string, string>> };

const SCHEMES: Readonly<Record<string, { transport: 'tcp' | 'unix'; tls: 'off' | 'require' }>> = {
  nbd: { transport: 'tcp', tls: 'off' },
  nbds: { transport: 'tcp', tls: 'require' },
  'nbd+unix': { transport: 'unix', tls: 'off' },
  'nbds+unix': { transport: 'unix', tls: 'require' },
};

/** Query parameters rxbridge understands; others must start with `x-` (uri.md: diagnose the rest). */
const KNOWN_PARAMS = new Set(['socket', 'tls-certificates', 'tls-type', 'tls-hostname', 'tls-verify-peer', 'tls-psk-file', 'tls-username']);

/** scheme "://" authority path [ "?" query ] [ "#" fragment ] (RFC 3986, with an authority). */
const URI_SHAPE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?$/;
const AUTHORITY_SHAPE = /^(?:[^@]*@)?(\[[^\]]*\]|[^:]*)(?::(\d*))?$/;

/**
 * Parses an NBD URI.
 *
 * @param uri e.g. `nbd://[::1]:10810/disk`, `nbds+unix:///disk?socket=/run/nbd.sock`.
 * @return Its parts; TCP URIs get `port` 10809 when none is given.
 * @throws InvalidArgumentError for another scheme, a missing host or socket, a bad port or escape, an unknown parameter.
 */
export function parseNbdUri(uri: string): NbdUri {
  const m = URI_SHAPE.exec(uri);
  if (!m) throw invalid(uri, 'not an NBD URI (expected nbd://host[:port]/export or nbd+unix:///export?socket=PATH)');
  const [, rawScheme, authority, path, query] = m;
  const scheme = SCHEMES[rawScheme.toLowerCase()];
  if (!scheme) throw invalid(uri, `unsupported scheme '${rawScheme}' (expected nbd, nbds, nbd+unix or nbds+unix)`);

  const exportName = decode(uri, path.startsWith('/') ? path.slice(1) : path, 'export name');
  if (exportName.includes('\0')) throw invalid(uri, 'the export name contains a NUL character');
  const params = parseQuery(uri, query ?? '');
  const result: { -readonly [K in keyof NbdUri]: NbdUri[K] } = { transport: scheme.transport, exportName, tls: scheme.tls, params };

  if (scheme.transport === 'tcp') {
    if ('socket' in params) throw invalid(uri, `'socket' belongs in nbd+unix:// URIs`);
    const a = AUTHORITY_SHAPE.exec(authority);
    if (!a) throw invalid(uri, `bad authority '${authority}'`);
    const [, rawHost, rawPort] = a;
    const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : decode(uri, rawHost, 'host');
    if (host === '') throw invalid(uri, 'the URI names no host');
    result.host = host;
    result.port = rawPort ? parsePort(uri, rawPort) : DEFAULT_PORT;
  } else {
    // uri.md leaves an authority on a Unix URI to the client: it has no use, so it is ignored.
    if (!('socket' in params) || params.socket === '') throw invalid(uri, `${rawScheme}:// needs ?socket=PATH`);
    result.socketPath = params.socket;
  }

  if ('tls-certificates' in params) result.tlsCertificates = params['tls-certificates'];
  if ('tls-hostname' in params) result.tlsHostname = params['tls-hostname'];
  if ('tls-verify-peer' in params) {
    const v = params['tls-verify-peer'];
    if (v !== '0' && v !== '1') throw invalid(uri, `tls-verify-peer must be 0 or 1, not '${v}'`);
    result.tlsVerifyPeer = v === '1';
  }
  return result;
}

/**
 * Formats URI parts for display (the inverse of {@link parseNbdUri}): the
 * port is left out when it is the default, the export name is percent-encoded
 * except for '/'.
 */
export function formatNbdUri(parts: NbdUriParts): string {
  const scheme = (parts.tls === 'require' ? 'nbds' : 'nbd') + (parts.transport === 'unix' ? '+unix' : '');
  let authority = '';
  if (parts.transport === 'tcp') {
    const host = parts.host ?? '';
    authority = host.includes(':') ? `[${host}]` : encodeURIComponent(host);
    if (parts.port !== undefined && parts.port !== DEFAULT_PORT) authority += `:${parts.port}`;
  }
  const path = parts.exportName === '' ? '' : '/' + parts.exportName.split('/').map(encodeURIComponent).join('/');

  const params: Record<string, string> = {};
  if (parts.socketPath !== undefined) params.socket = parts.socketPath;
  if (parts.tlsCertificates !== undefined) params['tls-certificates'] = parts.tlsCertificates;
  if (parts.tlsHostname !== undefined) params['tls-hostname'] = parts.tlsHostname;
  if (parts.tlsVerifyPeer !== undefined) params['tls-verify-peer'] = parts.tlsVerifyPeer ? '1' : '0';
  for (const [key, value] of Object.entries(parts.params ?? {})) if (!(key in params)) params[key] = value;
  const query = Object.entries(params)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value).replace(/%2F/g, '/')}`)
    .join('&');
  return `${scheme}://${authority}${path}${query ? `?${query}` : ''}`;
}

function parseQuery(uri: string, query: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decode(uri, eq < 0 ? pair : pair.slice(0, eq), 'query parameter');
    const value = eq < 0 ? '' : decode(uri, pair.slice(eq + 1), `query parameter '${key}'`);
    if (!KNOWN_PARAMS.has(key) && !key.startsWith('x-')) throw invalid(uri, `unknown query parameter '${key}'`);
    params[key] = value;
  }
  return params;
}

function parsePort(uri: string, raw: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(uri, `bad port '${raw}'`);
  return port;
}

/** Percent-decoding per RFC 3986: '+' stays a '+'. */
function decode(uri: string, text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw invalid(uri, `bad percent-encoding in the ${what}`);
  }
}

function invalid(uri: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid NBD URI '${uri}': ${why}`);
}
