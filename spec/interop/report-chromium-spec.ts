import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { renderReport } from '../../src/lab/report.js';
import type { LabReport } from '../../src/lab/types.js';
import { sampleReport } from '../lab/sampleReport.js';
import { requireTool } from '../helpers/peers.js';

/** The lab's HTML report opened in Debian's headless Chromium (driven by playwright-core, no browser download). */
describe('renderReport', () => {
  describe('in headless Chromium', function () {
    this.timeout(60_000);
    let browser: Browser;
    let dir: string;

    before(async () => {
      requireTool('chromium');
      browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
      dir = mkdtempSync(join(tmpdir(), 'lab-report-'));
    });

    after(async () => {
      await browser?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    async function open(report: LabReport | LabReport[]) {
      const file = join(dir, 'report.html');
      writeFileSync(file, renderReport(report));
      const page = await browser.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('request', (r) => requests.push(r.url()));
      const url = pathToFileURL(file).href;
      await page.goto(url);
      await page.waitForSelector('body[data-rendered="true"]', { timeout: 10_000 });
      return { page, errors, requests: requests.filter((u) => u !== url) };
    }

    it('draws every chart with no console error and no request', async () => {
      const { page, errors, requests } = await open(sampleReport());
      try {
        const canvases = await page.$$eval('canvas', (els) =>
          els.map((c) => {
            const canvas = c as HTMLCanvasElement;
            const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted++;
            return { id: canvas.id, width: canvas.width, painted };
          }),
        );
        // latency, read and write throughput, stages, and bytes per architecture (2)
        expect(canvases.map((c) => c.id)).to.deep.equal(['latency-0', 'readtput-0', 'writetput-0', 'stages-0', 'bytes-0-0', 'bytes-0-1']);
        for (const c of canvases) expect(c.painted, c.id).to.be.greaterThan(1000);
        expect(await page.$$('.chart-error')).to.have.length(0);
        expect(errors).to.deep.equal([]);
        expect(requests).to.deep.equal([]);
      } finally {
        await page.close();
      }
    });

    it('puts the stall on a log scale that reaches it, and renders several scenarios, missing kernel data and no reads', async () => {
      const second: LabReport = { ...sampleReport(), scenario: 'small', kernelSampled: false };
      for (const r of second.results) {
        r.series.bytes = r.series.bytes.map(([t, q, s]) => [t, q, s, null, null, null]);
        r.series.reads = []; // a scenario without reads
        delete r.writeStages;
      }
      const { page, errors } = await open([sampleReport(), second]);
      try {
        const yMax = await page.evaluate(() => {
          const chart = (window as any).Chart.getChart('latency-0');
          return { type: chart.scales.y.type, max: chart.scales.y.max };
        });
        expect(yMax.type).to.equal('logarithmic');
        expect(yMax.max).to.be.at.least(2400);
        expect(await page.$$('canvas')).to.have.length(12);
        expect(await page.textContent('body')).to.include('ss (iproute2) was unavailable');
        expect(errors).to.deep.equal([]);
      } finally {
        await page.close();
      }
    });
  });
});
