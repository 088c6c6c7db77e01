import { expect } from 'chai';
import type { NbdServerHandle } from '../../src/nbd/server/serveNbd.js';
import { exportUri, runCli, startEmulator } from './cliHarness.js';

describe('rxbridge bench', () => {
  let server: NbdServerHandle;

  before(async () => {
    server = await startEmulator([
      { name: '', size: 16 << 20 },
      { name: 'ro', size: 1 << 20, readOnly: true },
    ]);
  });
  after(() => server.close());

  const bench = async (...args: string[]) => {
    const r = await runCli(['bench', server.uri, '--json', ...args]);
    expect(r.code, r.stderr).to.equal(0);
    return JSON.parse(r.stdout.toString());
  };

  it('runs for --time and prints one JSON document with the headline figures', async () => {
    const r = await bench('--rw', 'randread', '--bs', '4k', '--qd', '8', '--time', '300ms');
    expect(r).to.include({ rw: 'randread', bs: 4096, qd: 8, connections: 1 });
    expect(r.seconds).to.be.within(0.28, 2);
    expect(r.ios).to.be.above(0);
    expect(r.bytes).to.equal(r.ios * 4096);
    expect(r.iops).to.be.closeTo(r.ios / r.seconds, r.iops * 0.01 + 1);
    expect(r.MBps).to.be.closeTo(r.bytes / 1e6 / r.seconds, r.MBps * 0.01 + 0.1);
    const l = r.latencyUs;
    expect(l.min).to.be.above(0);
    expect(l.min <= l.p50 && l.p50 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max).to.equal(true);
    expect(r.cpuSecondsPerGB).to.be.above(0);
    expect(r.peakRssMB).to.be.above(10);
    expect(r.read.ios).to.equal(r.ios);
    expect(r).to.not.have.property('write');
  });

  it('runs --ramp-time first and counts nothing of it, as fio\'s ramp_time', async () => {
    const started = performance.now();
    const r = await bench('--rw', 'randread', '--bs', '4k', '--qd', '8', '--time', '300ms', '--ramp-time', '300ms');
    expect(performance.now() - started).to.be.above(600);
    expect(r.rampSeconds).to.equal(0.3);
    expect(r.seconds).to.be.within(0.28, 2);
    expect(r.iops).to.be.closeTo(r.ios / r.seconds, r.iops * 0.01 + 1);
    const sized = await bench('--rw', 'write', '--bs', '64k', '--qd', '4', '--size', '4M', '--ramp-time', '200ms');
    expect(sized.bytes).to.equal(4 << 20);
    const text = await runCli(['bench', server.uri, '--time', '200ms', '--ramp-time', '100ms']);
    expect(text.stdout.toString()).to.match(/0\.\d\d s after a 0\.1 s ramp/);
  });

  it('moves exactly --size bytes, sequentially past the end of the export and around', async () => {
    const r = await bench('--rw', 'write', '--bs', '256k', '--qd', '4', '--size', '20M');
    expect(r.ios).to.equal(80);
    expect(r.write.bytes).to.equal(20 << 20);
  });

  it('mixes reads and writes in randrw by --rwmix', async () => {
    const r = await bench('--rw', 'randrw', '--rwmix', '70', '--qd', '16', '--size', '8M');
    expect(r.rwmixRead).to.equal(70);
    expect(r.read.ios + r.write.ios).to.equal(2048);
    expect(r.read.ios / 2048).to.be.within(0.64, 0.76);
  });

  it('prints fio-like text and a progress line per second on stderr', async () => {
    const r = await runCli(['bench', server.uri, '--qd', '4', '--time', '1100ms']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout.toString()).to.match(/^randread: bs=4096 qd=4 connections=1, [\d.]+ s/);
    expect(r.stdout.toString()).to.match(/read: IOPS=[\d.k]+, BW=[\d.]+ MB\/s/);
    expect(r.stdout.toString()).to.match(/lat \(µs\): min=\d+, mean=[\d.]+, p50=\d+, p99=\d+, p99\.9=\d+, max=\d+/);
    expect(r.stderr).to.match(/^\[1 s\] [\d.k]+ IOPS, \d+ MB\/s\n$/);
  });

  it('exits 1 on writes to a read-only export, and on --time with --size', async () => {
    const ro = await runCli(['bench', exportUri(server, 'ro'), '--rw', 'randwrite', '--time', '100ms']);
    expect(ro.code).to.equal(1);
    expect(ro.stderr).to.match(/read-only.*\[RXB_UNSUPPORTED\]/);
    const both = await runCli(['bench', server.uri, '--time', '1s', '--size', '1M']);
    expect(both.code).to.equal(1);
    expect(both.stderr).to.contain('not both');
  });

  it('exits 1 when the block size is larger than the export', async () => {
    const r = await runCli(['bench', exportUri(server, 'ro'), '--bs', '2M', '--time', '100ms']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/larger than the export.*\[RXB_INVALID_ARGUMENT\]/);
  });
});
