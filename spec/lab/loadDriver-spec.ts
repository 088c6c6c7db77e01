import { expect } from 'chai';
import type { LabClient, ReadDone, WriteDone } from '../../src/lab/arch/types.js';
import { GapTracker } from '../../src/lab/gapTracker.js';
import { LoadDriver } from '../../src/lab/loadDriver.js';
import type { DriverSpec } from '../../src/lab/scenarios.js';

/** A client that holds every call until the spec says: return it, complete it. */
class ScriptedClient implements LabClient {
  readonly arch = 'scripted';
  readonly calls: { op: string; offset: number; length: number; done: (err: Error | null) => void; returned?: () => void }[] = [];
  constructor(private readonly returnAtOnce: boolean) {}
  read(offset: number, length: number, done: ReadDone, returned?: () => void) {
    this.calls.push({ op: 'read', offset, length, done, returned });
    if (this.returnAtOnce) returned?.();
  }
  write(offset: number, data: Buffer, done: WriteDone, returned?: () => void) {
    this.calls.push({ op: 'write', offset, length: data.length, done, returned });
    if (this.returnAtOnce) returned?.();
  }
  stats() {
    return { queuedBytes: 0, socketBufferedBytes: 0, receiveQueuedBytes: 0, writes: 0, bytesWritten: 0, pending: 0 };
  }
  stages() {
    return [];
  }
  async close() {}
}

const spec = (over: Partial<DriverSpec>): DriverSpec => ({
  name: 't', depth: 4, size: 1000, readFraction: 0, region: { start: 10_000, length: 5000 }, pattern: 'sequential', ...over,
});

describe('LoadDriver', () => {
  it('keeps depth requests outstanding when calls return at once, sequential offsets wrapping in the region', () => {
    const client = new ScriptedClient(true);
    const d = new LoadDriver(client, spec({}), 1, new GapTracker(), new GapTracker());
    d.start();
    expect(client.calls).to.have.length(4);
    const first = client.calls[0]!.offset - 10_000;
    expect(client.calls.map((c) => c.offset - 10_000)).to.deep.equal([0, 1, 2, 3].map((i) => (first + i * 1000) % 5000));
    client.calls[1]!.done(null);
    expect(client.calls).to.have.length(5); // one completes, one more goes
    expect(client.calls.every((c) => c.op === 'write' && c.length === 1000)).to.equal(true);
  });

  it('a thread blocked in its call (lockstep) issues nothing more until the call returns', () => {
    const client = new ScriptedClient(false);
    const d = new LoadDriver(client, spec({}), 1, new GapTracker(), new GapTracker());
    d.start();
    expect(client.calls).to.have.length(1);
    client.calls[0]!.returned!();
    expect(client.calls).to.have.length(2);
    client.calls[0]!.done(null);
    expect(client.calls).to.have.length(2); // still blocked in the second call
  });

  it('draws the same random offsets and read/write mix for the same seed', () => {
    const run = (seed: number) => {
      const client = new ScriptedClient(true);
      new LoadDriver(client, spec({ depth: 16, readFraction: 0.5, pattern: 'random', region: { start: 0, length: 1 << 20 } }), seed, new GapTracker(), new GapTracker()).start();
      return client.calls.map((c) => `${c.op}@${c.offset}`);
    };
    expect(run(7)).to.deep.equal(run(7));
    expect(run(7)).not.to.deep.equal(run(8));
    expect(new Set(run(7).map((s) => s.split('@')[0]))).to.deep.equal(new Set(['read', 'write']));
  });

  it('stop waits for outstanding requests; an error stops issuing', async () => {
    const client = new ScriptedClient(true);
    const d = new LoadDriver(client, spec({ depth: 2 }), 1, new GapTracker(), new GapTracker());
    d.start();
    let stopped = false;
    const stopping = d.stop().then(() => (stopped = true));
    client.calls[0]!.done(null);
    await Promise.resolve();
    expect(stopped).to.equal(false);
    client.calls[1]!.done(null);
    await stopping;
    expect(client.calls).to.have.length(2);

    const failing = new ScriptedClient(true);
    const f = new LoadDriver(failing, spec({ depth: 1 }), 1, new GapTracker(), new GapTracker());
    f.start();
    failing.calls[0]!.done(new Error('boom'));
    expect(failing.calls).to.have.length(1);
    expect(f.error?.message).to.equal('boom');
  });

  it('feeds the gap trackers of its request classes', () => {
    const client = new ScriptedClient(true);
    const reads = new GapTracker();
    const d = new LoadDriver(client, spec({ depth: 1, readFraction: 1 }), 1, reads, new GapTracker());
    d.start();
    const t = performance.now();
    while (performance.now() - t < 15);
    client.calls[0]!.done(null);
    expect(reads.longestMs).to.be.at.least(14);
  });
});
