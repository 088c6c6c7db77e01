import type { FramePart } from '../../core/codec.js';
import type { DeviceModel } from '../../device/model.js';
import { ServiceQueue } from '../../device/serviceQueue.js';
import { Command, NbdErrno } from '../protocol.js';
import type { NbdRequestHeader } from '../requestDecoder.js';
import { DEVICE_OPERATION, executeJob, replyCost } from './executeJob.js';
import type { BlockSizes, Negotiated } from './serverHandshake.js';
import { ReplyUnit, ServerJob } from './serverJob.js';
import type { ServerCounters } from './serverStats.js';
import { validateRequest, type RequestLimits } from './validateRequest.js';

export interface RequestProcessorOptions {
  readonly model: DeviceModel;
  readonly blockSizes: BlockSizes;
  /** Reply bytes admitted and not yet handed to the kernel; above it no new request is admitted (default 32 MiB). */
  readonly maxReplyBytes?: number;
  /** Requests that may wait for a device slot before reading stops (default: parallel, within 16..1024). */
  readonly maxWaiting?: number;
  readonly counters: ServerCounters;
  /** Receives each encoded reply, in completion order. */
  readonly reply: (unit: ReplyUnit) => void;
  /** Told whenever `backlogged` or `settled` may have changed. */
  readonly changed: () => void;
}

/**
 * The transmission phase of one connection, minus the I/O: takes request
 * frame parts, refuses bad requests, stores WRITE payloads as they arrive
 * (straight into the store, no intermediate buffer), admits requests against
 * a reply-byte budget, runs them through the device's service queue and
 * hands each encoded reply on.
 *
 * Memory stays bounded whatever the client does: a request is admitted only
 * while the replies admitted before it fit the budget (the first always
 * does), and while requests wait for admission or a device slot the
 * connection reports `backlogged`, which stops reading from the socket.
 */
export class RequestProcessor {
  private readonly service: ServiceQueue<ServerJob>;
  private readonly limits: RequestLimits;
  private readonly maxReplyBytes: number;
  private readonly maxWaiting: number;
  private admission: ServerJob[] = [];
  private admissionHead = 0;
  private reserved = 0;
  /** The WRITE whose payload is arriving. */
  private current: ServerJob | undefined;
  private pumping = false;
  private disc = false;
  private closed = false;

  constructor(
    private readonly negotiated: Negotiated,
    private readonly options: RequestProcessorOptions,
  ) {
    const exp = negotiated.export;
    this.limits = {
      size: exp.size,
      readOnly: exp.readOnly,
      structuredReplies: negotiated.structuredReplies,
      baseAllocation: negotiated.baseAllocation,
      blockSizes: options.blockSizes,
    };
    this.maxReplyBytes = options.maxReplyBytes ?? 32 * 1024 * 1024;
    const parallel = options.model.parallel;
    this.maxWaiting = options.maxWaiting ?? Math.min(1024, Math.max(16, Number.isFinite(parallel) ? parallel : 1024));
    // Each connection draws its own sequence: the same seed per connection would fail the same requests on every reconnect.
    this.service = new ServiceQueue<ServerJob>(options.model, this.onServed, { stream: options.counters.accepted });
  }

  /** True while requests wait for admission or a device slot, or after DISC: stop reading. */
  get backlogged(): boolean {
    return this.disc || this.admissionHead < this.admission.length || this.service.waiting >= this.maxWaiting;
  }

  /** True when no reply is still to be produced (replies may still be on their way to the socket). */
  get settled(): boolean {
    return this.admissionHead >= this.admission.length && this.service.inService === 0 && this.service.waiting === 0;
  }

  /** True once the client sent NBD_CMD_DISC. */
  get disconnecting(): boolean {
    return this.disc;
  }

  /** Reply bytes admitted and not yet written. */
  get reservedBytes(): number {
    return this.reserved;
  }

  /** Takes one frame part of the request stream. */
  onPart(part: FramePart<NbdRequestHeader>): void {
    if (this.disc || this.closed) return; // nothing after DISC counts
    let job = this.current;
    if (part.offset === 0) {
      const h = part.header;
      if (h.type === Command.Disc) {
        this.disc = true;
        this.options.changed();
        return;
      }
      const errno = validateRequest(h.type, h.flags, h.offset, h.length, this.limits);
      job = new ServerJob(h.cookie, h.type, h.flags, errno === 0 ? Number(h.offset) : 0, h.length, errno);
      this.current = job;
      this.options.counters.requests++;
    }
    if (job === undefined) return;
    if (part.payload.length > 0) {
      this.options.counters.bytesWritten += part.payload.length;
      // A refused WRITE's payload is read and dropped.
      if (job.errno === 0) this.negotiated.export.store.write(job.offset + part.offset, part.payload);
    }
    if (part.last) {
      this.current = undefined;
      this.admission.push(job);
      this.pump();
    }
  }

  /** The client will send nothing more (it ended its side): finish what it asked, as after DISC. */
  endOfRequests(): void {
    if (this.disc) return;
    this.disc = true;
    this.current = undefined;
    this.options.changed();
  }

  /** A reply was handed to the kernel: release its share of the budget. */
  onWritten(unit: ReplyUnit): void {
    this.reserved -= unit.reserved;
    if (this.admissionHead < this.admission.length) this.pump();
  }

  /** Drops everything queued and in service; replies in progress are not produced. */
  close(): void {
    this.closed = true;
    this.service.close();
    this.admission = [];
    this.admissionHead = 0;
    this.current = undefined;
  }

  private pump(): void {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    try {
      const queue = this.admission;
      while (this.admissionHead < queue.length && !this.closed) {
        const job = queue[this.admissionHead];
        const cost = replyCost(job);
        if (this.reserved > 0 && this.reserved + cost > this.maxReplyBytes) break;
        if (job.errno === 0 && this.service.waiting >= this.maxWaiting) break;
        (queue as (ServerJob | undefined)[])[this.admissionHead++] = undefined;
        job.reserved = cost;
        this.reserved += cost;
        if (job.errno !== 0) this.respond(job, job.errno);
        else this.service.submit(job, DEVICE_OPERATION[job.type]);
      }
      if (this.admissionHead === queue.length) {
        queue.length = 0;
        this.admissionHead = 0;
      } else if (this.admissionHead >= 1024 && this.admissionHead * 2 >= queue.length) {
        this.admission = queue.slice(this.admissionHead);
        this.admissionHead = 0;
      }
    } finally {
      this.pumping = false;
    }
    this.options.changed();
  }

  private readonly onServed = (job: ServerJob, failed: boolean): void => {
    if (failed) this.options.counters.faults++;
    this.respond(job, failed ? NbdErrno.EIO : 0);
    // A freed device slot may let a waiting request in; the pump reports the change.
    if (this.admissionHead < this.admission.length) this.pump();
    else this.options.changed();
  };

  private respond(job: ServerJob, errno: number): void {
    const unit = executeJob(job, this.negotiated.export, this.negotiated.structuredReplies, errno);
    const c = this.options.counters;
    if (errno !== 0) c.errors++;
    else if (job.type === Command.Read) c.bytesRead += job.length;
    this.options.reply(unit);
  }
}
