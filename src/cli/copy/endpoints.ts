/**
 * The two ends of `rxbridge copy`. A source reads at an offset into a buffer
 * the copier owns; a destination writes (or zeroes) at an offset. Both take
 * requests from many lanes at once, in any order, except where noted.
 */
import type { NbdTlsOptions } from '../../nbd/client/index.js';

export interface CopySource {
  /** What `describe` prints in messages. */
  readonly name: string;
  /** Bytes to copy; undefined for a stream, which is read until it ends. */
  readonly size: number | undefined;
  /**
   * Reads `length` bytes at `offset` into `buffer` (from index 0). Resolves to
   * the bytes read: fewer only at the end of a stream. A stream source is
   * called in offset order (the copier claims offsets in order and calls at once).
   */
  read(offset: number, length: number, buffer: Buffer): Promise<number>;
  /**
   * The parts of the range known to read as zeros (NBD block status), in
   * order, as [start, end, start, end, …]; absent when the source cannot tell.
   */
  zerosWithin?(offset: number, length: number): Promise<readonly number[]>;
  close(): Promise<void>;
  /** Drops everything at once (after a failure, when closing politely may hang). */
  destroy(): void;
}

export interface CopyDestination {
  readonly name: string;
  /** Called once before the first write with the source's size (undefined for a stream). */
  prepare(size: number | undefined): Promise<void>;
  /** Writes `data` at `offset`; `data` belongs to the caller again once this resolves. */
  write(offset: number, data: Buffer): Promise<void>;
  /** Makes the range read as zeros (cheaply when the destination can). */
  zero(offset: number, length: number): Promise<void>;
  /** Makes everything written durable. */
  flush(): Promise<void>;
  close(): Promise<void>;
  destroy(): void;
}

/** How the copier talks to NBD servers. */
export interface NbdEndpointOptions {
  /** TLS settings for NBD ends (--tls, --tls-ca, --tls-cert, --tls-key). */
  tls?: NbdTlsOptions;
  connections: number;
  /** Requests in flight at most (the copier's lanes). */
  requests: number;
  requestSize: number;
}

/** An argument naming a stream (`-`), the null sink (`null:`), an NBD URI, or else a file. */
export type EndpointKind = 'stream' | 'null' | 'nbd' | 'file';

export function endpointKind(spec: string): EndpointKind {
  if (spec === '-') return 'stream';
  if (spec === 'null:') return 'null';
  if (/^nbds?(\+unix)?:\/\//i.test(spec)) return 'nbd';
  return 'file';
}
