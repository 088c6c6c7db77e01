import { expect } from 'chai';
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../cli/cliHarness.js';
import { startNbdkit, type RunningPeer } from '../helpers/peers.js';

const SIZE = 256 << 20;

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('rxbridge copy against nbdkit', () => {
  let dir: string;
  let inHash: string;
  let peer: RunningPeer | undefined;
  const file = (name: string) => path.join(dir, name);

  before(async () => {
    dir = await mkdtemp(path.join(existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'rxbridge-cli-interop-'));
    await writeFile(file('in.img'), randomFillSync(Buffer.allocUnsafe(SIZE)));
    inHash = await sha256(file('in.img'));
  });
  afterEach(async () => {
    await peer?.stop();
    peer = undefined;
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const connections of [1, 4]) {
    it(`copies a 256 MiB random file into nbdkit memory and back out, identical SHA-256 (--connections ${connections})`, async () => {
      peer = await startNbdkit(['memory', String(SIZE)]);
      const copyIn = await runCli(['copy', '--connections', String(connections), file('in.img'), peer.uri]);
      expect(copyIn.code, copyIn.stderr).to.equal(0);
      const copyOut = await runCli(['copy', '--connections', String(connections), peer.uri, file('out.img')]);
      expect(copyOut.code, copyOut.stderr).to.equal(0);
      expect((await stat(file('out.img'))).size).to.equal(SIZE);
      expect(await sha256(file('out.img'))).to.equal(inHash);
    });
  }

  it('copies between two nbdkit servers', async () => {
    peer = await startNbdkit(['memory', String(SIZE)]);
    const other = await startNbdkit(['memory', String(SIZE)]);
    try {
      expect((await runCli(['copy', file('in.img'), peer.uri])).code).to.equal(0);
      const r = await runCli(['copy', peer.uri, other.uri]);
      expect(r.code, r.stderr).to.equal(0);
      expect((await runCli(['copy', other.uri, file('out2.img')])).code).to.equal(0);
      expect(await sha256(file('out2.img'))).to.equal(inHash);
    } finally {
      await other.stop();
    }
  });

  it('exits 1 with a clear message for --connections 2 when the server lacks multi-conn', async () => {
    peer = await startNbdkit(['memory', '1M', 'multi-conn-mode=disable'], { filters: ['multi-conn'] });
    const r = await runCli(['copy', '--connections', '2', peer.uri, 'null:']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/multiple connections.*\[RXB_UNSUPPORTED\]/);
  });
});
