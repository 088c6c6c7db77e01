import { expect } from 'chai';
import { renderReport } from '../../src/lab/report.js';
import type { LabReport } from '../../src/lab/types.js';
import { sampleReport } from './sampleReport.js';

describe('renderReport', () => {
  it('produces one self-contained page: Chart.js inlined, no external reference', () => {
    const html = renderReport(sampleReport());
    expect(html).to.match(/^<!doctype html>/);
    expect(html).to.include('Chart.js v4');
    expect(html).not.to.match(/<script[^>]+src=/i);
    expect(html).not.to.match(/<link[^>]+href=/i);
    expect(html).not.to.match(/(src|href)=["']?https?:/i);
    expect(html).to.include('<td>send-backlog</td>');
  });

  it('cannot be broken out of by text in the data', () => {
    const report: LabReport = { ...sampleReport(), scenario: '</script><b>x</b>', notes: ['<img src=x>'] };
    const html = renderReport(report);
    expect(html).not.to.include('</script><b>');
    expect(html).not.to.include('<img src=x>');
  });
});
