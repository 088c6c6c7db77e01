import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { NbdServerHandle } from '../../src/nbd/server/serveNbd.js';
import { exportUri, runCli, startEmulator } from './cliHarness.js';

const MiB = 1 << 20;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('rxbridge copy', () => {
  let server: NbdServerHandle;
  let dir: string;
  // 5 MiB and a bit: not a whole number of 256 KiB requests.
  const data = randomBytes(5 * MiB + 12345);
  const file = (name: string) => path.join(dir, name);

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rxbridge-copy-spec-'));
    await writeFile(file('in.img'), data);
  });
  beforeEach(async () => {
    server = await startEmulator([
      { name: '', size: 8 * MiB },
      { name: 'small', size: MiB },
      { name: 'ro', size: MiB, readOnly: true },
    ]);
  });
  afterEach(() => server.close());
  after(() => rm(dir, { recursive: true, force: true }));

  it('copies a file into an export and back out: same bytes, the rest zeros, the file sized to the export', async () => {
    const copyIn = await runCli(['copy', file('in.img'), server.uri]);
    expect(copyIn.code, copyIn.stderr).to.equal(0);
    expect(copyIn.stdout.length).to.equal(0);
    const copyOut = await runCli(['copy', server.uri, file('out.img')]);
    expect(copyOut.code, copyOut.stderr).to.equal(0);
    const back = await readFile(file('out.img'));
    expect(back.length).to.equal(8 * MiB);
    expect(sha(back.subarray(0, data.length))).to.equal(sha(data));
    expect(back.subarray(data.length).every((b) => b === 0)).to.equal(true);
  });

  it('copies a file into an export and into a file with few lanes: nothing written past the short last chunk', async () => {
    // Two lanes, so their buffers are reused and hold old bytes when the short last chunk comes.
    const copyIn = await runCli(['copy', '--requests', '2', '--request-size', '1M', file('in.img'), server.uri]);
    expect(copyIn.code, copyIn.stderr).to.equal(0);
    const copy = await runCli(['copy', '--requests', '2', '--request-size', '1M', file('in.img'), file('copy.img')]);
    expect(copy.code, copy.stderr).to.equal(0);
    expect(sha(await readFile(file('copy.img')))).to.equal(sha(data));
    const copyOut = await runCli(['copy', server.uri, file('out.img')]);
    expect(copyOut.code, copyOut.stderr).to.equal(0);
    const back = await readFile(file('out.img'));
    expect(back.subarray(data.length).every((b) => b === 0)).to.equal(true);
  });

  it('truncates an existing, longer destination file', async () => {
    await writeFile(file('long.img'), Buffer.alloc(9 * MiB, 0xff));
    expect((await runCli(['copy', server.uri, file('long.img')])).code).to.equal(0);
    const back = await readFile(file('long.img'));
    expect(back.length).to.equal(8 * MiB);
    expect(back.every((b) => b === 0)).to.equal(true);
  });

  it('copies stdin into an export and the export to stdout, in order, with odd request sizes and many requests', async () => {
    const copyIn = await runCli(['copy', '--request-size', '100000', '--requests', '7', '-', server.uri], data);
    expect(copyIn.code, copyIn.stderr).to.equal(0);
    const copyOut = await runCli(['copy', '--request-size', '65536', '--requests', '33', server.uri, '-']);
    expect(copyOut.code, copyOut.stderr).to.equal(0);
    expect(copyOut.stdout.length).to.equal(8 * MiB);
    expect(sha(copyOut.stdout.subarray(0, data.length))).to.equal(sha(data));
    expect(copyOut.stdout.subarray(data.length).every((b) => b === 0)).to.equal(true);
  });

  it('copies over several connections (--connections 3), and NBD to NBD', async () => {
    expect((await runCli(['copy', '-C', '3', file('in.img'), server.uri])).code).to.equal(0);
    const other = await startEmulator([{ name: '', size: 8 * MiB }]);
    try {
      const r = await runCli(['copy', '-C', '2', server.uri, other.uri]);
      expect(r.code, r.stderr).to.equal(0);
      const out = await runCli(['copy', other.uri, '-']);
      expect(sha(out.stdout.subarray(0, data.length))).to.equal(sha(data));
    } finally {
      await other.close();
    }
  });

  it('zeroes the holes of a sparse source on the destination instead of copying them', async () => {
    // Fill the destination with data first: the copy must leave zeros where the source has holes.
    const other = await startEmulator([{ name: '', size: 8 * MiB }]);
    try {
      await writeFile(file('ff.img'), Buffer.alloc(8 * MiB, 0xff));
      expect((await runCli(['copy', file('ff.img'), other.uri])).code).to.equal(0);
      await writeFile(file('head.img'), data.subarray(0, MiB));
      expect((await runCli(['copy', file('head.img'), server.uri])).code).to.equal(0);
      expect((await runCli(['copy', server.uri, other.uri])).code).to.equal(0);
      const out = await runCli(['copy', other.uri, '-']);
      expect(sha(out.stdout.subarray(0, MiB))).to.equal(sha(data.subarray(0, MiB)));
      expect(out.stdout.subarray(MiB).every((b) => b === 0)).to.equal(true);
      // The emulator's store shows the holes were not written as data.
      expect(other.stats().allocatedBytes['']).to.be.below(2 * MiB);
    } finally {
      await other.close();
    }
  });

  it('leaves the holes of a sparse export as holes in the destination file', async () => {
    await writeFile(file('head.img'), data.subarray(0, MiB));
    expect((await runCli(['copy', file('head.img'), server.uri])).code).to.equal(0);
    expect((await runCli(['copy', server.uri, file('sparse.img')])).code).to.equal(0);
    const s = await stat(file('sparse.img'));
    expect(s.size).to.equal(8 * MiB);
    expect(s.blocks * 512).to.be.below(4 * MiB);
  });

  it('reports progress on stderr with --progress', async () => {
    const r = await runCli(['copy', '--progress', file('in.img'), server.uri]);
    expect(r.code).to.equal(0);
    expect(r.stderr).to.match(/copied 5M of 5M \(100\.0%\), \d+ MB\/s\n$/);
  });

  it('flushes the destination with --flush', async () => {
    const before = server.stats();
    expect((await runCli(['copy', '--flush', file('in.img'), server.uri])).code).to.equal(0);
    expect(JSON.stringify(server.stats())).to.not.equal(JSON.stringify(before));
  });

  describe('errors: exit 1 and a message with the code', () => {
    it('a destination export smaller than the source', async () => {
      const r = await runCli(['copy', file('in.img'), exportUri(server, 'small')]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/smaller than the source .*\[RXB_INVALID_ARGUMENT\]/);
    });

    it('a read-only destination', async () => {
      const r = await runCli(['copy', file('in.img'), exportUri(server, 'ro')]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/read-only.*\[RXB_INVALID_ARGUMENT\]/);
    });

    it('a stream longer than the destination export', async () => {
      const r = await runCli(['copy', '-', exportUri(server, 'small')], data);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/^rxbridge copy: .*\[RXB_INVALID_ARGUMENT\]\n$/);
    });

    it('a missing source file', async () => {
      const r = await runCli(['copy', file('nope.img'), server.uri]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/no such file.*\[ENOENT\]/);
    });

    it('null: as the source', async () => {
      const r = await runCli(['copy', 'null:', server.uri]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.contain('null: can only be a destination');
    });
  });
});
