/**
 * The device emulator under fio's NBD engine (libnbd): verified random
 * writes at depth, then a timed random-read job, with no I/O errors.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { serveNbd, type NbdServerHandle } from '../../src/nbd/server/serveNbd.js';
import { requireTool } from '../helpers/peers.js';

const run = promisify(execFile);

interface FioJob {
  error: number;
  read: { io_bytes: number; iops: number };
  write: { io_bytes: number; iops: number };
}

async function fio(uri: string, args: string[]): Promise<FioJob> {
  // fio leaves a verify state file in its working directory: run it in the system's temp folder.
  const { stdout } = await run('fio', ['--name=spec', '--ioengine=nbd', `--uri=${uri}`, '--output-format=json', ...args], { maxBuffer: 16 << 20, cwd: tmpdir() });
  // fio's NBD engine prints "fio: connected to NBD server" before the JSON.
  return JSON.parse(stdout.slice(stdout.indexOf('{'))).jobs[0] as FioJob;
}

describe('device emulator under fio', function () {
  this.timeout(60_000);
  let server: NbdServerHandle;

  before(async () => {
    requireTool('fio');
    server = await new Promise((resolve, reject) =>
      serveNbd({ exports: [{ name: '', size: 64 << 20 }], model: { base: 'unlimited', parallel: 64, serviceTimeMs: { distribution: 'exponential', meanMs: 0.05, maxMs: 1 } } }).subscribe({
        next: resolve,
        error: reject,
      }),
    );
  });
  after(async () => {
    await server?.close();
  });

  it('verifies random writes at queue depth 32 (replies out of order)', async () => {
    const job = await fio(server.uri, ['--rw=randwrite', '--bs=4k,64k', '--bsrange=4k-64k', '--size=16M', '--iodepth=32', '--verify=crc32c', '--do_verify=1', '--verify_fatal=1']);
    expect(job.error).to.equal(0);
    expect(job.write.io_bytes).to.equal(16 << 20);
    expect(job.read.io_bytes).to.equal(16 << 20);
  });

  it('serves a timed random-read job without errors', async () => {
    const job = await fio(server.uri, ['--rw=randread', '--bs=4k', '--size=64M', '--iodepth=32', '--time_based', '--runtime=2']);
    expect(job.error).to.equal(0);
    expect(job.read.iops).to.be.greaterThan(1000);
    expect(server.stats().errors).to.equal(0);
  });
});
