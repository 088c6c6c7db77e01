/**
 * `reactive`: the engine as shipped, behind the lab's callback interface.
 * Requests go through the NBD client (lanes, window, prioritize, rebuffer,
 * socket sink); stage times come from its `events$`, the same records any
 * user can subscribe to.
 */
import { firstValueFrom, type Subscription } from 'rxjs';
import type { EngineEvent } from '../../core/events.js';
import { connectNbd, type NbdClient, type NbdOptions } from '../../nbd/client/index.js';
import type { NbdRequest } from '../../nbd/client/nbdRequest.js';
import type { LabClient, LabClientStats, LabOp, ReadDone, StageRecord, WriteDone } from './types.js';

export class ReactiveLabClient implements LabClient {
  readonly arch = 'reactive' as const;
  private records: StageRecord[] = [];
  private readonly events: Subscription;

  constructor(private readonly client: NbdClient) {
    this.events = client.events$.subscribe((e) => this.onEvent(e));
  }

  read(offset: number, length: number, done: ReadDone, returned?: () => void): void {
    let data: Buffer | undefined;
    this.client.read(offset, length).subscribe({
      next: (d) => (data = d),
      error: (err: Error) => done(err),
      complete: () => done(null, data),
    });
    returned?.();
  }

  write(offset: number, data: Buffer, done: WriteDone, returned?: () => void): void {
    this.client.write(offset, data).subscribe({
      error: (err: Error) => done(err),
      complete: () => done(null),
    });
    returned?.();
  }

  stats(): LabClientStats {
    let unsent = 0;
    let socketBuffered = 0;
    let writes = 0;
    let bytesWritten = 0;
    let pending = 0;
    for (const s of this.client.stats()) {
      unsent += s.unsentBytes;
      socketBuffered += s.socketBufferedBytes;
      writes += s.batches;
      bytesWritten += s.bytesSent;
      pending += s.queued + s.inFlight;
    }
    return {
      queuedBytes: Math.max(0, unsent - socketBuffered),
      socketBufferedBytes: socketBuffered,
      receiveQueuedBytes: 0,
      writes,
      bytesWritten,
      pending,
    };
  }

  stages(): StageRecord[] {
    const out = this.records;
    this.records = [];
    return out;
  }

  async close(): Promise<void> {
    await firstValueFrom(this.client.close(), { defaultValue: undefined });
    this.events.unsubscribe();
  }

  private onEvent(e: EngineEvent): void {
    if (e.type !== 'request' || (e.phase !== 'completed' && e.phase !== 'failed')) return;
    if (e.class !== 'read' && e.class !== 'write') return;
    const meta = e.record.meta as NbdRequest;
    this.records.push({ op: e.class as LabOp, length: meta.length, times: { ...e.record.times }, failed: e.phase === 'failed' });
  }
}

/** Connects the reactive engine to the lab's device. */
export async function connectReactive(uri: string, options: NbdOptions = {}): Promise<LabClient> {
  const client = await firstValueFrom(connectNbd(uri, options));
  return new ReactiveLabClient(client);
}
