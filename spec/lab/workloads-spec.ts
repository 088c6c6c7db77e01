/**
 * The workloads against the device emulator, in-process on 127.0.0.1:0:
 * figures and series come out, and the longest stall gets the right cause
 * for a device that stalls, a socket that backs up, and our own backlog.
 */
import { expect } from 'chai';
import { connectClassic } from '../../src/lab/arch/connectClassic.js';
import type { ClassicArch } from '../../src/lab/arch/types.js';
import type { ScenarioName } from '../../src/lab/scenarios.js';
import { runWorkload, type WorkloadOptions } from '../../src/lab/workloads.js';
import type { ServeNbdOptions } from '../../src/nbd/server/serveNbd.js';
import { startDevice } from './arch/device.js';

async function run(arch: ClassicArch, scenario: ScenarioName, model: ServeNbdOptions['model'], over: Partial<WorkloadOptions> = {}) {
  const device = await startDevice({ model, exports: [{ name: '', size: 512 << 20 }] });
  const client = await connectClassic(arch, device.handle.uri);
  try {
    const port = (device.handle.address as { port: number }).port;
    return await runWorkload(client, arch, { scenario, durationMs: 800, seed: 1, exportSize: 512 << 20, devicePort: port, sampleIntervalMs: 100, ...over });
  } finally {
    await client.close();
    await device.stop();
  }
}

describe('runWorkload', function () {
  this.timeout(30_000);

  it('measures a run: throughput, latency, stages, series, writes per MB, progress', async () => {
    const progress: number[] = [];
    const { result, kernelSampled, notes } = await run('sendqueue', 'small', 'unlimited', { onProgress: (p) => progress.push(p.elapsedMs) });
    expect(result.arch).to.equal('sendqueue');
    expect(result.read.count).to.be.greaterThan(100);
    expect(result.write.count).to.be.greaterThan(100);
    expect(result.read.MBps).to.be.greaterThan(0);
    expect(result.read.p50Ms).to.be.greaterThan(0).and.at.most(result.read.p99Ms);
    expect(result.read.p99Ms).to.be.at.most(result.read.maxMs);
    // One write per unit: a 28-byte header per read, 28 + 4096 bytes per write.
    const units = result.read.count + result.write.count;
    const megabytes = (28 * result.read.count + (28 + 4096) * result.write.count) / 1e6;
    expect(result.writesPerMB).to.be.closeTo(units / megabytes, 0.01 * (units / megabytes));
    expect(result.stages.d2rMs).to.be.greaterThan(0);
    expect(result.writeStages).to.not.equal(undefined);
    expect(result.series.reads.length).to.be.greaterThan(10);
    expect(result.series.throughput.length).to.be.at.least(6);
    expect(result.series.bytes.every((p) => p[3] !== null)).to.equal(true);
    expect(kernelSampled).to.equal(true);
    expect(notes).to.deep.equal([]);
    expect(result.peakRssMB).to.be.greaterThan(10);
    expect(progress.length).to.be.at.least(6);
  });

  it('goes on without ss, saying so, with the kernel columns empty', async () => {
    const { result, kernelSampled, notes } = await run('lockstep', 'small', 'unlimited', { durationMs: 300, ssCommand: ['/nonexistent/ss'] });
    expect(kernelSampled).to.equal(false);
    expect(notes.join()).to.match(/not found/);
    expect(result.series.bytes.every((p) => p[3] === null && p[4] === null && p[5] === null)).to.equal(true);
    expect(result.read.count).to.be.greaterThan(0);
  });

  it('a device that stalls: the stall is as long as the device stalled, cause "device"', async () => {
    // The stall window is timed from the connection: leave the run time to start before it, even on a loaded machine.
    const { result } = await run('sendqueue', 'reads', { base: 'unlimited', faults: { stall: { afterMs: 500, durationMs: 700 } } }, { durationMs: 1500 });
    expect(result.longestStallMs).to.be.within(350, 1200);
    expect(result.stallCause).to.equal('device');
  });

  it('fifo under the mixed load: reads wait seconds behind our own queued writes, cause "send-backlog"', async () => {
    const { result } = await run('fifo', 'mixed', { base: 'unlimited', readBytesPerSecond: 100e6 });
    expect(result.longestStallMs).to.be.greaterThan(500);
    expect(result.stallCause).to.equal('send-backlog');
  });

  it('lockstep under the mixed load: reads wait behind the kernel send buffer, cause "socket-backpressure"', async () => {
    const { result } = await run('lockstep', 'mixed', { base: 'unlimited', readBytesPerSecond: 100e6 });
    expect(result.longestStallMs).to.be.within(20, 500);
    // The read waits at lockstep's send gate behind a caller blocked in a send the
    // kernel will not take: on a loaded machine more of that wait shows at the gate.
    expect(result.stallCause).to.be.oneOf(['socket-backpressure', 'send-backlog']);
  });
});
