import { Command, CommandFlag, NbdErrno } from '../protocol.js';
import type { BlockSizes } from './serverHandshake.js';

/** What a request is checked against. */
export interface RequestLimits {
  readonly size: number;
  readonly readOnly: boolean;
  readonly structuredReplies: boolean;
  readonly baseAllocation: boolean;
  readonly blockSizes: BlockSizes;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Flags each command takes; FUA is valid on every command (proto.md: servers must accept it). */
const ALLOWED_FLAGS: readonly number[] = [
  /* READ */ CommandFlag.Fua | CommandFlag.Df,
  /* WRITE */ CommandFlag.Fua,
  /* DISC */ CommandFlag.Fua,
  /* FLUSH */ CommandFlag.Fua,
  /* TRIM */ CommandFlag.Fua,
  /* CACHE */ CommandFlag.Fua,
  /* WRITE_ZEROES */ CommandFlag.Fua | CommandFlag.NoHole | CommandFlag.FastZero,
  /* BLOCK_STATUS */ CommandFlag.Fua | CommandFlag.ReqOne,
];

/**
 * Checks one request header; returns 0 when it may be served, else the errno
 * to answer with. Follows proto.md and what nbdkit does: an unknown command
 * or a flag the command does not take is EINVAL; a range past the end is
 * ENOSPC for writes (WRITE, WRITE_ZEROES) and EINVAL otherwise; a READ or
 * WRITE above the maximum block size is EINVAL; modifying a read-only export
 * is EPERM; FLUSH takes no range.
 *
 * `offset` is the raw u64 (it may exceed 2^53); `length` the raw u32.
 */
export function validateRequest(type: number, flags: number, offset: bigint, length: number, limits: RequestLimits): number {
  if (type > Command.BlockStatus || type === Command.Disc) return NbdErrno.EINVAL;
  if ((flags & ~ALLOWED_FLAGS[type]) !== 0) return NbdErrno.EINVAL;
  if ((flags & CommandFlag.Df) !== 0 && !limits.structuredReplies) return NbdErrno.EINVAL;
  if (type === Command.Flush) return offset === 0n && length === 0 ? 0 : NbdErrno.EINVAL;

  const writes = type === Command.Write || type === Command.WriteZeroes;
  if (length === 0) return NbdErrno.EINVAL;
  // Sizes are below 2^53, so one comparison in bigint settles huge offsets and the rest is Number math.
  if (offset > MAX_SAFE || Number(offset) + length > limits.size) return writes ? NbdErrno.ENOSPC : NbdErrno.EINVAL;
  const sizes = limits.blockSizes;
  if ((type === Command.Read || type === Command.Write) && length > sizes.maximum) return NbdErrno.EINVAL;
  if (sizes.minimum > 1 && (Number(offset) % sizes.minimum !== 0 || length % sizes.minimum !== 0)) return NbdErrno.EINVAL;
  if (limits.readOnly && (writes || type === Command.Trim)) return NbdErrno.EPERM;
  if (type === Command.BlockStatus && !limits.baseAllocation) return NbdErrno.EINVAL;
  return 0;
}
