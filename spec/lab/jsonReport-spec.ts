import { expect } from 'chai';
import { formatJsonReport, toJsonReport } from '../../src/lab/jsonReport.js';
import { sampleReport } from './sampleReport.js';

describe('toJsonReport', () => {
  it('keeps the fields scripts rely on and drops the series', () => {
    const json = toJsonReport(sampleReport());
    expect(json.scenario).to.equal('mixed');
    expect(json.device).to.include({ name: 'gigabit', embedded: true });
    expect(json.results.map((r) => r.arch)).to.deep.equal(['fifo', 'reactive']);
    const fifo = json.results[0]!;
    expect(fifo.read).to.deep.equal({ MBps: 12.5, p50Ms: 0.4, p99Ms: 2100, maxMs: 2400, count: 4000 });
    expect(fifo.write).to.include.keys('MBps', 'p50Ms', 'p99Ms', 'maxMs');
    expect(fifo).to.include({ longestStallMs: 2400, stallCause: 'send-backlog' });
    expect(fifo).not.to.have.property('series');
  });

  it('rounds to µs and turns non-finite numbers into null', () => {
    const r = sampleReport();
    r.device.readMBps = Infinity;
    r.results[0]!.read.p50Ms = 0.123456789;
    r.results[0]!.read.MBps = NaN;
    const parsed = JSON.parse(formatJsonReport(r));
    expect(parsed.device.readMBps).to.equal(null);
    expect(parsed.results[0].read.p50Ms).to.equal(0.123);
    expect(parsed.results[0].read.MBps).to.equal(null);
  });
});
