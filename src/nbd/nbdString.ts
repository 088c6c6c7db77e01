/**
 * NBD strings (export names, queries, messages): UTF-8, no NUL, at most 4096
 * bytes (proto.md, "Conventions").
 */
import { InvalidArgumentError } from '../core/errors.js';
import { MAX_STRING_BYTES } from './protocol-extra.js';

/** Encodes `value` as UTF-8, refusing what proto.md forbids. `what` names it in the error. */
export function nbdStringBytes(value: string, what: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > MAX_STRING_BYTES) {
    throw new InvalidArgumentError(`${what} is ${bytes.length} bytes long; NBD allows at most ${MAX_STRING_BYTES}`);
  }
  if (bytes.includes(0)) throw new InvalidArgumentError(`${what} contains a NUL character`);
  return bytes;
}
