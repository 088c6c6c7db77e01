import type { NbdOptions } from '../nbd/client/index.js';

const DEFAULT_MAX_REQUEST_BYTES = 256 * 1024;
const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Client options for a command that keeps `requests` requests of up to
 * `requestSize` bytes in flight over `connections` connections: each
 * connection's window admits its share, and requests are not split.
 */
export function nbdOptionsFor(connections: number, requests: number, requestSize: number): NbdOptions {
  const perConnection = Math.max(1, Math.ceil(requests / connections));
  return {
    connections,
    maxRequests: perConnection,
    maxBytes: Math.max(perConnection * requestSize, DEFAULT_MAX_BYTES),
    maxRequestBytes: Math.max(requestSize, DEFAULT_MAX_REQUEST_BYTES),
  };
}
