/**
 * The device emulator against real clients: libnbd's nbdinfo, nbdcopy and
 * nbdsh (Debian libnbd-bin, python3-libnbd), run as child processes.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { serveNbd, type NbdServerHandle, type ServeNbdOptions } from '../../src/nbd/server/serveNbd.js';
import { startDeviceWorker, type DeviceWorker } from '../../src/nbd/server/startDeviceWorker.js';
import { requireTool } from '../helpers/peers.js';

const run = promisify(execFile);
// nbdsh is Python: the system interpreter has the nbd module, a pyenv one may not.
const env = { ...process.env, PATH: `/usr/bin:${process.env.PATH ?? ''}` };
const tool = async (cmd: string, args: string[]) => (await run(cmd, args, { env, maxBuffer: 64 << 20 })).stdout;

function start(options: ServeNbdOptions): Promise<NbdServerHandle> {
  return new Promise((resolve, reject) => serveNbd(options).subscribe({ next: resolve, error: reject }));
}

describe('device emulator against libnbd tools', function () {
  this.timeout(60_000);
  let server: NbdServerHandle;
  let dir: string;

  before(async () => {
    for (const t of ['nbdinfo', 'nbdcopy', 'nbdsh']) requireTool(t);
    dir = await mkdtemp(join(tmpdir(), 'rxbridge-server-'));
    server = await start({
      exports: [
        { name: '', size: 64 << 20, description: 'scratch disk' },
        { name: 'ro', size: 1 << 20, readOnly: true },
      ],
    });
  });
  after(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('nbdinfo sees the export, its flags, block sizes and base:allocation', async () => {
    const info = JSON.parse(await tool('nbdinfo', ['--json', server.uri]));
    expect(info.protocol).to.equal('newstyle-fixed');
    expect(info.TLS).to.equal(false);
    const e = info.exports[0];
    expect(e['export-size']).to.equal(64 << 20);
    expect(e.description).to.equal('scratch disk');
    expect(e.contexts).to.include('base:allocation');
    expect(e).to.include({
      is_read_only: false,
      can_flush: true,
      can_fua: true,
      can_trim: true,
      can_zero: true,
      can_fast_zero: true,
      can_cache: true,
      can_df: true,
      can_multi_conn: true,
      block_size_minimum: 1,
      block_size_preferred: 4096,
      block_size_maximum: 32 << 20,
    });
  });

  it('nbdinfo --list lists both exports', async () => {
    const info = JSON.parse(await tool('nbdinfo', ['--json', '--list', server.uri]));
    expect(info.exports.map((e: { 'export-name': string }) => e['export-name'])).to.deep.equal(['', 'ro']);
    expect(info.exports[1].is_read_only).to.equal(true);
  });

  it('nbdcopy copies a file in over 4 connections and back out unchanged; nbdinfo --map sees the data', async () => {
    const data = Buffer.concat([randomBytes(8 << 20), Buffer.alloc(4 << 20), randomBytes(3 << 20)]);
    const input = join(dir, 'in.bin');
    const output = join(dir, 'out.bin');
    await writeFile(input, data);
    await tool('nbdcopy', ['--connections=4', '--requests=16', input, server.uri]);
    await tool('nbdcopy', [server.uri, output]);
    const back = await readFile(output);
    expect(back.length).to.equal(64 << 20);
    expect(back.subarray(0, data.length).equals(data)).to.equal(true);
    expect(back.subarray(data.length).every((b) => b === 0)).to.equal(true);
    const map = await tool('nbdinfo', ['--map', server.uri]);
    // Never-written space at the end is a hole.
    expect(map.trim().split('\n').pop()).to.match(/^\s*\d+\s+\d+\s+3\s+hole,zero$/);
  });

  it('nbdsh: zero, trim, block status, FUA, out-of-range errors and a read-only export', async () => {
    const script = [
      'h.add_meta_context("base:allocation")',
      `h.connect_uri("${server.uri}")`,
      'h.pwrite(b"x" * 131072, 0, nbd.CMD_FLAG_FUA)',
      'h.zero(65536, 0, nbd.CMD_FLAG_FAST_ZERO)',
      'h.trim(65536, 65536)',
      'assert h.pread(131072, 0) == bytes(131072)',
      'ext = []',
      'h.block_status(131072, 0, lambda m, o, e, err: ext.extend(e))',
      'assert ext == [131072, 3], ext',
      'h.zero(4096, 200000, nbd.CMD_FLAG_NO_HOLE)',
      'h.flush()',
      'h.cache(4096, 0)',
      'h.set_strict_mode(0)',
      'try:',
      '    h.pread(10, (64 << 20) - 5)',
      '    raise SystemExit("no error past the end")',
      'except nbd.Error as e:',
      '    assert e.errnum == errno.EINVAL, e',
      'try:',
      '    h.pwrite(b"abc", (64 << 20) - 1)',
      '    raise SystemExit("no error writing past the end")',
      'except nbd.Error as e:',
      '    assert e.errnum == errno.ENOSPC, e',
      'h.shutdown()',
      'r = nbd.NBD()',
      'r.set_strict_mode(0)',
      `r.connect_uri("${server.uri}ro")`,
      'assert r.is_read_only()',
      'try:',
      '    r.pwrite(b"abc", 0)',
      '    raise SystemExit("read-only export accepted a write")',
      'except nbd.Error as e:',
      '    assert e.errnum == errno.EPERM, e',
      'r.shutdown()',
      'print("ok")',
    ].join('\n');
    expect((await tool('nbdsh', ['-c', 'import errno', '-c', script])).trim()).to.equal('ok');
  });

  it('nbdsh without structured replies gets simple replies', async () => {
    const script = [
      'h.set_request_structured_replies(False)',
      `h.connect_uri("${server.uri}")`,
      'assert not h.get_structured_replies_negotiated()',
      'h.pwrite(b"simple", 1000)',
      'assert h.pread(6, 1000) == b"simple"',
      'h.shutdown()',
      'print("ok")',
    ].join('\n');
    expect((await tool('nbdsh', ['-c', script])).trim()).to.equal('ok');
  });

  describe('in a worker thread, with the gigabit model', () => {
    let device: DeviceWorker;
    before(async () => {
      device = await startDeviceWorker({ exports: [{ name: '', size: 64 << 20 }], model: 'gigabit' });
    });
    after(async () => {
      await device?.close();
    });

    it('nbdcopy takes at least as long as the link allows', async () => {
      const input = join(dir, 'gig.bin');
      const size = 33 << 20;
      await writeFile(input, randomBytes(size));
      const t0 = performance.now();
      await tool('nbdcopy', [input, device.uri]);
      const seconds = (performance.now() - t0) / 1000;
      // 110 MB/s: about 0.31 s for 33 MiB; allow 15 % below for the bucket's burst.
      expect(seconds).to.be.at.least((0.85 * size) / 110e6);
      expect((await device.stats()).bytesWritten).to.equal(size);
    });
  });
});
