import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { runCli } from '../cli/cliHarness.js';
import { requireTool, startNbdkit, type RunningPeer } from '../helpers/peers.js';

const exec = promisify(execFile);

/** The fields both print; nbdinfo's others (content, is_rotational) need probing rxbridge does not do. */
const SHARED = [
  'export-name', 'uri', 'contexts', 'is_read_only', 'can_cache', 'can_df', 'can_fast_zero', 'can_flush', 'can_fua',
  'can_multi_conn', 'can_trim', 'can_zero', 'export-size', 'export-size-str',
  'block_size_minimum', 'block_size_preferred', 'block_size_maximum',
];

function shared(e: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(SHARED.filter((k) => k in e).map((k) => [k, e[k]]));
}

async function nbdinfo(...args: string[]): Promise<{ structured: boolean; exports: Record<string, unknown>[] }> {
  requireTool('nbdinfo');
  return JSON.parse((await exec('nbdinfo', ['--json', ...args])).stdout);
}

async function rxbridgeInfo(...args: string[]): Promise<{ structured: boolean; exports: Record<string, unknown>[] }> {
  const r = await runCli(['info', '--json', ...args]);
  expect(r.code, r.stderr).to.equal(0);
  return JSON.parse(r.stdout.toString());
}

describe('rxbridge info against nbdkit, beside nbdinfo', () => {
  let peer: RunningPeer | undefined;
  afterEach(async () => {
    await peer?.stop();
    peer = undefined;
  });

  // [name, plugin and its arguments, filters and options, values nbdinfo must show (so the case tests what it says)]
  const cases: [string, string[], { filters?: string[]; extra?: string[] }, Record<string, unknown>][] = [
    ['memory 64M', ['memory', '64M'], {}, { 'export-size': 64 << 20, can_multi_conn: true }],
    [
      'read-only, no multi-conn, no zero',
      ['memory', '3G', 'multi-conn-mode=disable', 'zeromode=none'],
      { filters: ['multi-conn', 'nozero'], extra: ['-r'] },
      { is_read_only: true, can_multi_conn: false, can_zero: false, 'export-size-str': '3G' },
    ],
    [
      'advertised block sizes, no cache, no extents',
      ['memory', '1M', 'blocksize-minimum=512', 'blocksize-preferred=4096', 'blocksize-maximum=1M', 'cachemode=none'],
      { filters: ['blocksize-policy', 'nocache', 'noextents'] },
      { block_size_minimum: 512, block_size_preferred: 4096, block_size_maximum: 1 << 20, can_cache: false },
    ],
  ];
  for (const [name, plugin, options, shown] of cases) {
    it(`prints the values nbdinfo --json prints (${name})`, async () => {
      peer = await startNbdkit(plugin, options);
      const theirs = await nbdinfo(peer.uri);
      const ours = await rxbridgeInfo(peer.uri);
      expect(ours.structured).to.equal(theirs.structured);
      expect(ours.exports).to.have.length(1);
      const expected = shared(theirs.exports[0]);
      expect(expected).to.include(shown);
      expect(shared(ours.exports[0])).to.deep.include(expected);
    });
  }

  it('lists the exports nbdinfo --list lists', async () => {
    peer = await startNbdkit(['memory', '64M']);
    const theirs = await nbdinfo('--list', peer.uri);
    const ours = await rxbridgeInfo('--list', peer.uri);
    expect(ours.exports.map((e) => e['export-name'])).to.deep.equal(theirs.exports.map((e) => e['export-name']));
    theirs.exports.forEach((e, i) => expect(shared(ours.exports[i])).to.deep.include(shared(e)));
  });
});
