import { expect } from 'chai';
import { renderTable } from '../../src/lab/table.js';
import { sampleReport } from './sampleReport.js';

describe('renderTable', () => {
  it('renders a heading and one aligned row per architecture', () => {
    const text = renderTable(sampleReport());
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).to.equal('scenario mixed · device gigabit (nbd://127.0.0.1:40000/) · seed 42 · 10.0 s per architecture');
    expect(lines[1]).to.match(/^architecture\s+read MB\/s\s+write MB\/s\s+read p50 ms\s+read p99 ms\s+read max ms/);
    expect(lines[2]).to.match(/^-+( +-+)+$/);
    expect(lines[3]).to.match(/^fifo\s+12\.5\s+105\.0\s+0\.400\s+2100\.000\s+2400\.0\s+1200\.0\s+2400 ms send-backlog\s+2\.0\s+1234\/56\s+180$/);
    expect(lines[4]).to.match(/^reactive\s+12\.5\s+105\.0\s+0\.400\s+1\.200\s+3\.0\s+1200\.0\s+3 ms none/);
    // right-aligned numbers end in the same column
    expect(lines[3]!.indexOf('2100.000') + '2100.000'.length).to.equal(lines[4]!.indexOf('1.200') + '1.200'.length);
    expect(lines).to.have.length(5);
  });

  it('shows "none" without a stall, labels over arch names, notes, and several scenarios', () => {
    const a = sampleReport();
    a.results[1]!.longestStallMs = 0;
    a.results[1]!.label = 'reactive nodelay';
    const b = { ...sampleReport(), scenario: 'small', kernelSampled: false, notes: ['device is remote'] };
    const text = renderTable([a, b]);
    expect(text).to.match(/reactive nodelay .* none/);
    expect(text).to.include('scenario small');
    expect(text).to.include('note: device is remote');
    expect(text).to.include('note: ss (iproute2) unavailable');
  });
});
