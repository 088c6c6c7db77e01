import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { clientConformance } from '../helpers/clientConformance.js';
import { requireTool, startQemuNbd } from '../helpers/peers.js';

const SIZE = 256 * 1024 * 1024;

clientConformance(
  'qemu-nbd (raw file)',
  async () => {
    requireTool('qemu-img');
    const dir = mkdtempSync(join(tmpdir(), 'rxbridge-qemu-'));
    const file = join(dir, 'disk.raw');
    const made = spawnSync('qemu-img', ['create', '-f', 'raw', file, String(SIZE)], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`qemu-img create failed: ${made.stderr}`);
    const peer = await startQemuNbd(file);
    return { uri: peer.uri, stop: async () => { await peer.stop(); rmSync(dir, { recursive: true, force: true }); } };
  },
  { size: SIZE, sparse: true },
);
