import type { DeviceModel, DeviceOperation } from './model.js';
import { drawServiceTime, mulberry32 } from './model.js';
import type { Clock } from './tokenBucket.js';

/** Called once per job when its service ends; `failed` is an injected fault (the device answers EIO). */
export type ServiceDone<J> = (job: J, failed: boolean) => void;

export interface ServiceQueueOptions {
  /** Clock in ms; `performance.now` by default. */
  now?: Clock;
  /** Mixed into the model's seed, so each connection draws its own sequence. */
  stream?: number;
}

/**
 * The device's service stage: at most `model.parallel` jobs in service at
 * once, each for a service time drawn from the model; the rest wait in FIFO
 * order (the caller bounds that queue by not submitting while {@link waiting}
 * is high). Faults from the model: a stall (nothing starts or completes
 * inside a stall window) and a per-operation error rate drawn at completion.
 *
 * Timing uses one timer for the earliest deadline. Node timers have 1 ms
 * granularity, so deadlines under a millisecond away are polled with
 * `setImmediate` instead: sub-millisecond service times stay honest without
 * costing a timer per job.
 */
export class ServiceQueue<J> {
  private readonly parallel: number;
  private readonly random: () => number;
  private readonly now: Clock;
  private readonly startedAt: number;
  private readonly zeroTime: boolean;
  // In-service jobs: a binary min-heap on deadline, in parallel arrays.
  private heapDeadline: number[] = [];
  private heapJob: J[] = [];
  private heapOp: DeviceOperation[] = [];
  // Waiting jobs: FIFO with a moving head, compacted when half empty.
  private waitJob: J[] = [];
  private waitOp: DeviceOperation[] = [];
  private waitHead = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private draining = false;
  private closed = false;

  constructor(
    private readonly model: DeviceModel,
    private readonly done: ServiceDone<J>,
    options: ServiceQueueOptions = {},
  ) {
    this.parallel = model.parallel;
    this.random = mulberry32(((model.seed ?? 0x5eed) + Math.imul(options.stream ?? 0, 0x9e3779b9)) >>> 0);
    this.now = options.now ?? (() => performance.now());
    this.startedAt = this.now();
    const st = model.serviceTimeMs;
    this.zeroTime = st.meanMs === 0 && model.faults?.stall === undefined;
  }

  /** Jobs in service now. */
  get inService(): number {
    return this.heapJob.length;
  }

  /** Jobs waiting for a free slot. */
  get waiting(): number {
    return this.waitJob.length - this.waitHead;
  }

  /** Submits a job; it enters service now if a slot is free, else waits its turn. */
  submit(job: J, op: DeviceOperation): void {
    if (this.closed) return;
    if (this.zeroTime && this.waiting === 0) {
      // No service time and no stall: the device answers at once, in order.
      this.done(job, this.fails(op));
      return;
    }
    if (this.inService < this.parallel && this.waiting === 0) this.start(job, op, this.now());
    else {
      this.waitJob.push(job);
      this.waitOp.push(op);
    }
    this.arm();
  }

  /** Drops every job (none completes) and clears the timer. */
  close(): void {
    this.closed = true;
    this.clearTimer();
    this.heapDeadline = [];
    this.heapJob = [];
    this.heapOp = [];
    this.waitJob = [];
    this.waitOp = [];
    this.waitHead = 0;
  }

  private fails(op: DeviceOperation): boolean {
    const rate = this.model.faults?.errorRate?.[op];
    return rate !== undefined && rate > 0 && this.random() < rate;
  }

  private start(job: J, op: DeviceOperation, now: number): void {
    const begin = this.outOfStall(now);
    const deadline = this.outOfStall(begin + drawServiceTime(this.model.serviceTimeMs, this.random));
    this.heapPush(deadline, job, op);
  }

  /** The first time at or after `t` that is outside every stall window. */
  private outOfStall(t: number): number {
    const stall = this.model.faults?.stall;
    if (stall === undefined || stall.durationMs <= 0) return t;
    const first = this.startedAt + stall.afterMs;
    if (t < first) return t;
    // A stall as long as its period never ends: the job stays parked for good.
    if (stall.everyMs !== undefined && stall.durationMs >= stall.everyMs) return Infinity;
    const k = stall.everyMs === undefined ? 0 : Math.floor((t - first) / stall.everyMs);
    const windowEnd = first + k * (stall.everyMs ?? 0) + stall.durationMs;
    return t < windowEnd ? windowEnd : t;
  }

  private arm(): void {
    if (this.closed || this.draining) return;
    this.clearTimer();
    if (this.heapJob.length === 0) return;
    const delay = this.heapDeadline[0] - this.now();
    if (delay === Infinity) return;
    if (delay < 1) this.immediate = setImmediate(this.onTime);
    else this.timer = setTimeout(this.onTime, Math.max(0, delay - 1));
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private readonly onTime = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    this.draining = true;
    try {
      const now = this.now();
      while (!this.closed && this.heapJob.length > 0 && this.heapDeadline[0] <= now) {
        const op = this.heapOp[0];
        const job = this.heapPop();
        // Fill the freed slot before reporting, so the next job's time runs from now.
        if (this.waiting > 0) this.startWaiting(now);
        this.done(job, this.fails(op));
      }
    } finally {
      this.draining = false;
    }
    this.arm();
  };

  private startWaiting(now: number): void {
    const job = this.waitJob[this.waitHead];
    const op = this.waitOp[this.waitHead];
    (this.waitJob as (J | undefined)[])[this.waitHead] = undefined;
    this.waitHead++;
    if (this.waitHead > 64 && this.waitHead * 2 > this.waitJob.length) {
      this.waitJob = this.waitJob.slice(this.waitHead);
      this.waitOp = this.waitOp.slice(this.waitHead);
      this.waitHead = 0;
    } else if (this.waitHead === this.waitJob.length) {
      this.waitJob.length = 0;
      this.waitOp.length = 0;
      this.waitHead = 0;
    }
    this.start(job, op, now);
  }

  private heapPush(deadline: number, job: J, op: DeviceOperation): void {
    const d = this.heapDeadline;
    const j = this.heapJob;
    const o = this.heapOp;
    let i = d.length;
    d.push(deadline);
    j.push(job);
    o.push(op);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (d[parent] <= deadline) break;
      d[i] = d[parent];
      j[i] = j[parent];
      o[i] = o[parent];
      i = parent;
    }
    d[i] = deadline;
    j[i] = job;
    o[i] = op;
  }

  private heapPop(): J {
    const d = this.heapDeadline;
    const j = this.heapJob;
    const o = this.heapOp;
    const top = j[0];
    const lastD = d.pop() as number;
    const lastJ = j.pop() as J;
    const lastO = o.pop() as DeviceOperation;
    const n = d.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && d[child + 1] < d[child]) child++;
        if (d[child] >= lastD) break;
        d[i] = d[child];
        j[i] = j[child];
        o[i] = o[child];
        i = child;
      }
      d[i] = lastD;
      j[i] = lastJ;
      o[i] = lastO;
    }
    return top;
  }
}
