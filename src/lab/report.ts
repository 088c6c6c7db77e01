/**
 * The lab's HTML report: one self-contained file (Chart.js and the data
 * inlined, nothing fetched) that works offline, with the summary table and
 * four charts per scenario: read latency per read over time, throughput over
 * time, the stage breakdown, and where the bytes are over time.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { REPORT_PAGE_SCRIPT } from './reportScript.js';
import type { ArchResult, LabReport } from './types.js';

/** Upper bound on points per series in the page (the collector should already have downsampled). */
const MAX_POINTS_PER_SERIES = 20_000;

let chartJsSource: string | undefined;

/** Chart.js's UMD bundle, read once from the installed package. */
function chartJs(): string {
  if (chartJsSource === undefined) {
    // The package's main entry sits in dist/, beside the UMD bundle.
    const main = createRequire(import.meta.url).resolve('chart.js');
    chartJsSource = readFileSync(join(dirname(main), 'chart.umd.min.js'), 'utf8');
  }
  return chartJsSource;
}

/**
 * Renders one or several scenarios' results as a complete HTML page.
 * @param result One lab report, or several (one section per scenario).
 * @return The page's text; write it to a `.html` file.
 */
export function renderReport(result: LabReport | readonly LabReport[]): string {
  const reports = Array.isArray(result) ? (result as readonly LabReport[]) : [result as LabReport];
  const data = reports.map((r) => ({ ...r, results: r.results.map(boundSeries) }));
  const title = `rxbridge lab: ${reports.map((r) => r.scenario).join(', ')}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; max-width: 1400px; }
table { border-collapse: collapse; margin: 0.8em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f3f3f3; }
.chart { position: relative; height: 360px; margin: 1em 0; }
.chart.small { height: 260px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 1em; }
.notes { color: #555; }
.chart-error { color: #b00; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${reports.map(renderSection).join('\n')}
<script id="lab-data" type="application/json">${jsonForScript(data)}</script>
<script>${scriptSafe(chartJs())}</script>
<script>${scriptSafe(REPORT_PAGE_SCRIPT)}</script>
</body>
</html>
`;
}

function renderSection(report: LabReport, s: number): string {
  const d = report.device;
  const link = d.readMBps === undefined && d.writeMBps === undefined ? '' : `, link ${fmtRate(d.readMBps)} out / ${fmtRate(d.writeMBps)} back`;
  const notes = [...(report.notes ?? [])];
  if (report.kernelSampled === false) notes.push('ss (iproute2) was unavailable: kernel queues are not charted.');
  return `<section>
<h2>scenario <code>${escapeHtml(report.scenario)}</code></h2>
<p>device <b>${escapeHtml(d.name)}</b> (${escapeHtml(d.uri)}${d.embedded ? ', embedded emulator' : ''}${link}); seed ${report.seed}; ${fmt(report.durationMs / 1000, 1)} s per architecture.</p>
${summaryTable(report.results)}
${notes.length > 0 ? `<ul class="notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : ''}
<div class="chart"><canvas id="latency-${s}"></canvas></div>
<div class="grid">
<div class="chart small"><canvas id="readtput-${s}"></canvas></div>
<div class="chart small"><canvas id="writetput-${s}"></canvas></div>
</div>
<div class="chart small"><canvas id="stages-${s}"></canvas></div>
${stageTable(report.results)}
<div class="grid">
${report.results.map((_, i) => `<div class="chart small"><canvas id="bytes-${s}-${i}"></canvas></div>`).join('\n')}
</div>
</section>`;
}

function summaryTable(results: readonly ArchResult[]): string {
  const head = ['architecture', 'read MB/s', 'write MB/s', 'read p50 ms', 'read p99 ms', 'read max ms', 'write p99 ms', 'longest stall ms', 'stall cause', 'writes/MB', 'ctx switches vol/invol', 'peak RSS MB'];
  const rows = results.map((r) => [
    r.label ?? r.arch,
    fmt(r.read.MBps, r.read.MBps < 10 ? 2 : 1),
    fmt(r.write.MBps, r.write.MBps < 10 ? 2 : 1),
    fmt(r.read.p50Ms, 3),
    fmt(r.read.p99Ms, 3),
    fmt(r.read.maxMs, 1),
    fmt(r.write.p99Ms, 1),
    fmt(r.longestStallMs, 0),
    r.stallCause,
    fmt(r.writesPerMB, 1),
    `${r.contextSwitches.voluntary} / ${r.contextSwitches.involuntary}`,
    fmt(r.peakRssMB, 0),
  ]);
  return htmlTable(head, rows);
}

function stageTable(results: readonly ArchResult[]): string {
  const head = ['architecture', 'read Q2D ms', 'read D2R ms', 'read R2C ms', 'write Q2D ms', 'write D2R ms', 'write R2C ms'];
  const rows = results.map((r) => [
    r.label ?? r.arch,
    fmt(r.stages.q2dMs, 3),
    fmt(r.stages.d2rMs, 3),
    fmt(r.stages.r2cMs, 3),
    r.writeStages ? fmt(r.writeStages.q2dMs, 3) : '–',
    r.writeStages ? fmt(r.writeStages.d2rMs, 3) : '–',
    r.writeStages ? fmt(r.writeStages.r2cMs, 3) : '–',
  ]);
  return htmlTable(head, rows);
}

function htmlTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>
${rows.map((row) => `<tr>${row.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n')}
</tbody></table>`;
}

/** Caps each series (keeping the slowest reads) so a mistaken caller cannot produce a 100 MB page. */
function boundSeries(r: ArchResult): ArchResult {
  const { reads, throughput, bytes } = r.series;
  if (reads.length <= MAX_POINTS_PER_SERIES && throughput.length <= MAX_POINTS_PER_SERIES && bytes.length <= MAX_POINTS_PER_SERIES) return r;
  const stride = <T>(a: T[]): T[] => (a.length <= MAX_POINTS_PER_SERIES ? a : a.filter((_, i) => i % Math.ceil(a.length / MAX_POINTS_PER_SERIES) === 0));
  const slowest = reads.length <= MAX_POINTS_PER_SERIES ? reads : [...reads].sort((a, b) => b[1] - a[1]).slice(0, MAX_POINTS_PER_SERIES).sort((a, b) => a[0] - b[0]);
  return { ...r, series: { reads: slowest, throughput: stride(throughput), bytes: stride(bytes) } };
}

function fmt(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '–';
}

function fmtRate(mbps: number | null | undefined): string {
  return mbps === null || mbps === undefined || !Number.isFinite(mbps) ? 'unlimited' : `${fmt(mbps, 0)} MB/s`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON inside a script element: `<` escaped so no `</script>` or `<!--` can end it early; NaN/Infinity become null. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)).replace(/</g, '\\u003c');
}

/** Script text that cannot close its own element. */
function scriptSafe(source: string): string {
  return source.replace(/<\/script/gi, '<\\/script');
}
