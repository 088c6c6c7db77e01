import { expect } from 'chai';
import { runLab } from '../../src/lab/runLab.js';
import { toJsonReport } from '../../src/lab/jsonReport.js';
import { startNbdkit, type RunningPeer } from '../helpers/peers.js';

/**
 * The lab pointed at a real NBD server instead of the embedded device:
 * nbdkit's memory plugin behind its rate filter (a gigabit-class link) and
 * delay filter (a service time), as a user would with `rxbridge lab --device`.
 */
describe('the lab against nbdkit (--device)', function () {
  this.timeout(120_000);
  let peer: RunningPeer;

  before(async () => {
    peer = await startNbdkit(['memory', '256M', 'rate=900M', 'rdelay=0.1ms', 'wdelay=0.1ms'], { filters: ['rate', 'delay'], threads: 32 });
  });
  after(() => peer?.stop());

  it('runs the mixed scenario for fifo and reactive and reports both', async () => {
    const report = await runLab({ scenario: 'mixed', durationMs: 2500, seed: 7, archs: ['fifo', 'reactive'], deviceUri: peer.uri });
    const json = toJsonReport(report);
    expect(json.device.embedded).to.equal(false);
    expect(json.results.map((r) => r.arch)).to.deep.equal(['fifo', 'reactive']);
    for (const r of json.results) {
      expect(r.write.MBps, `${r.arch} wrote`).to.be.greaterThan(0);
      expect(r.read.count, `${r.arch} read`).to.be.greaterThan(0);
      expect(r.longestStallMs).to.be.a('number');
    }
    const [fifo, reactive] = json.results;
    // The shape the lab exists to show: reads wait behind fifo's queue, not behind the reactive engine's.
    expect(reactive.read.p99Ms).to.be.lessThan(fifo.read.p99Ms);
  });
});
