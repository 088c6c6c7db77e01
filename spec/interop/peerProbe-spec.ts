/**
 * The readiness probe that starts every real peer must not show up as an
 * error in the peer's log: specs assert on nbdkit's stderr.
 */
import { expect } from 'chai';
import { startNbdkit, waitForPort, type RunningPeer } from '../helpers/peers.js';
import type { ChildProcess } from 'node:child_process';

describe('the readiness probe for real peers', function () {
  this.timeout(30_000);
  let nbdkit: RunningPeer | undefined;
  afterEach(async () => {
    await nbdkit?.stop();
    nbdkit = undefined;
  });

  it('closes 100 probes of nbdkit without one error in its log (no resets)', async () => {
    nbdkit = await startNbdkit(['memory', '1M']);
    const running = { exitCode: null } as unknown as ChildProcess;
    for (let i = 0; i < 100; i++) await waitForPort(nbdkit.port, running);
    await new Promise((r) => setTimeout(r, 200));
    expect(nbdkit.stderr(), nbdkit.stderr()).to.equal('');
  });
});
