import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { LabProgress } from '../../src/lab/progress.js';

function capture(isTTY: boolean) {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  stream.isTTY = isTTY;
  stream.columns = 160;
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

describe('LabProgress', () => {
  it('prints occasional plain lines when not on a terminal', () => {
    const out = capture(false);
    let now = 0;
    const p = new LabProgress(['fifo', 'reactive'], { durationMs: 10_000, stream: out.stream, plainIntervalMs: 5000, now: () => now });
    p.update('fifo', { elapsedMs: 250, readMBps: 1.5, writeMBps: 100, worstReadMs: 12 });
    now = 1000;
    p.update('fifo', { elapsedMs: 1000, readMBps: 1.5, writeMBps: 100, worstReadMs: 2400 }); // too soon: skipped
    now = 5001;
    p.update('fifo', { elapsedMs: 5000, readMBps: 2, writeMBps: 101, worstReadMs: 2400 });
    p.finish('fifo', { elapsedMs: 10_000, readMBps: 2, writeMBps: 101, worstReadMs: 2400 });
    p.stop();
    const lines = out.text().trimEnd().split('\n');
    expect(lines).to.have.length(3);
    expect(lines[0]).to.match(/^\[lab\] fifo\s+0\.3\/10 s\s+read\s+1\.5 MB\/s\s+write\s+100\.0 MB\/s\s+worst read\s+12\.0 ms$/);
    expect(lines[1]).to.match(/5\.0\/10 s .* worst read\s+2400\.0 ms$/);
    expect(lines[2]).to.match(/\(done\)$/);
  });

  it('draws one bar per architecture on a terminal and stops cleanly', async () => {
    const out = capture(true);
    const p = new LabProgress(['lockstep', 'reactive'], { durationMs: 4000, stream: out.stream });
    p.update('lockstep', { elapsedMs: 2000, readMBps: 3.25, writeMBps: 40, worstReadMs: 1500 });
    p.finish('reactive', { elapsedMs: 4000, readMBps: 12, writeMBps: 105, worstReadMs: 3 });
    p.stop();
    await new Promise((r) => setImmediate(r));
    const text = out.text();
    expect(text).to.match(/lockstep .*\|.*2\.0\/4s \| read\s+3\.3 MB\/s \| write\s+40\.0 MB\/s \| worst read\s+1500\.0 ms/);
    expect(text).to.match(/reactive .*4\.0\/4s \| read\s+12\.0 MB\/s/);
    expect(text).to.include('\x1B[?25h'); // cursor shown again
  });
});
