import type { DeviceOperation } from '../../device/model.js';
import { AllocationFlag, ChunkType, Command, CommandFlag, ERRNO_NAMES, NbdErrno, ReplyFlag } from '../protocol.js';
import { encodeBlockStatusChunk, encodeChunkHeader, encodeErrorChunk, encodeOffsetDataHeader, encodeSimpleReply } from '../replyEncoder.js';
import type { NbdExport } from './exportTable.js';
import { BASE_ALLOCATION_ID } from './serverHandshake.js';
import { ReplyUnit, type ServerJob } from './serverJob.js';

/** Device operation of each NBD command (by NBD_CMD_* value), for service times and fault rates. */
export const DEVICE_OPERATION: readonly DeviceOperation[] = ['read', 'write', 'flush', 'flush', 'trim', 'cache', 'zero', 'blockStatus'];

/** At most this many extents per BLOCK_STATUS reply (proto.md lets a server answer for less than the range). */
export const MAX_EXTENTS = 1024;

/** Reply bytes a job will need: its data for a READ, a small header otherwise. */
export function replyCost(job: ServerJob): number {
  return job.type === Command.Read && job.errno === 0 ? job.length + 32 : 64;
}

/**
 * Serves a job against its export's store and encodes the reply: a READ
 * sends views of the store's blocks beside its header (never copied), a
 * WRITE's data is already in the store (it went there as it arrived), TRIM
 * and WRITE_ZEROES change the store, BLOCK_STATUS reports extents. With
 * structured replies a READ answers with one OFFSET_DATA chunk, BLOCK_STATUS
 * with one BLOCK_STATUS chunk, other successes with a NONE chunk and errors
 * with an ERROR chunk, each flagged DONE.
 *
 * @param errno 0, or an errno to answer with instead of serving (a refused request, an injected fault).
 */
export function executeJob(job: ServerJob, exp: NbdExport, structured: boolean, errno: number): ReplyUnit {
  const store = exp.store;
  if (errno === 0) {
    switch (job.type) {
      case Command.Read: {
        const header = structured
          ? encodeOffsetDataHeader(job.cookie, ReplyFlag.Done, job.offset, job.length)
          : encodeSimpleReply(job.cookie, 0);
        // The data goes out as views of the store's blocks: no allocation, no copy (see readViews).
        const buffers = [header];
        const bytes = header.length + store.readViews(job.offset, job.length, buffers);
        return new ReplyUnit('data', buffers, bytes, job.reserved);
      }
      case Command.Trim:
        store.trim(job.offset, job.length);
        break;
      case Command.WriteZeroes:
        store.zero(job.offset, job.length, { noHole: (job.flags & CommandFlag.NoHole) !== 0 });
        break;
      case Command.BlockStatus: {
        const max = (job.flags & CommandFlag.ReqOne) !== 0 ? 1 : MAX_EXTENTS;
        const extents = store.extents(job.offset, job.length, max).map((e) => ({
          length: e.length,
          flags: (e.hole ? AllocationFlag.Hole : 0) | (e.zero ? AllocationFlag.Zero : 0),
        }));
        const chunk = encodeBlockStatusChunk(job.cookie, ReplyFlag.Done, BASE_ALLOCATION_ID, extents);
        return new ReplyUnit('command', [chunk], chunk.length, job.reserved);
      }
      default:
        // WRITE (data already stored), FLUSH and CACHE (memory is always durable and hot).
        break;
    }
  }
  const reply = structured
    ? errno === 0
      ? encodeChunkHeader(job.cookie, ReplyFlag.Done, ChunkType.None, 0)
      : encodeErrorChunk(job.cookie, ReplyFlag.Done, errno, errorMessage(errno))
    : encodeSimpleReply(job.cookie, errno);
  return new ReplyUnit('command', [reply], reply.length, job.reserved);
}

function errorMessage(errno: number): string {
  switch (errno) {
    case NbdErrno.EIO:
      return 'EIO: device error';
    case NbdErrno.EPERM:
      return 'EPERM: the export is read-only';
    case NbdErrno.ENOSPC:
      return 'ENOSPC: write past the end of the export';
    default:
      return `${ERRNO_NAMES[errno] ?? 'EINVAL'}: invalid request`;
  }
}
