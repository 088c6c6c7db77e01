/**
 * The browser side of the HTML report, as source text: it reads the data
 * block the page embeds and draws the charts with Chart.js (inlined before
 * it). Plain ES2017, no modules, nothing fetched.
 */
export const REPORT_PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var COLORS = { lockstep: '#e69f00', sendqueue: '#cc79a7', fifo: '#d55e00', reactive: '#0072b2' };
  var SPARE = ['#009e73', '#56b4e9', '#f0e442', '#000000', '#999999'];
  var LOCATION_COLORS = ['#0072b2', '#56b4e9', '#e69f00', '#d55e00', '#009e73'];
  var MiB = 1024 * 1024;

  // Each architecture keeps its colour across charts; a second variant of one (sweep) takes a spare.
  function colorOf(results, i) {
    var arch = results[i].arch;
    for (var j = 0; j < i; j++) if (results[j].arch === arch) return SPARE[i % SPARE.length];
    return COLORS[arch] || SPARE[i % SPARE.length];
  }
  function nameOf(r) { return r.label || r.arch; }
  function fail(el, err) {
    var p = document.createElement('p');
    p.className = 'chart-error';
    p.textContent = 'chart failed: ' + (err && err.message ? err.message : String(err));
    el.parentNode.insertBefore(p, el.nextSibling);
    console.error(err);
  }
  function draw(id, config) {
    var el = document.getElementById(id);
    if (!el) return;
    try { new Chart(el, config); } catch (err) { fail(el, err); }
  }
  // Log axis labels at decades only: 0.01 … 100 ms, then 1 s, 10 s.
  function decade(v) {
    var e = Math.log10(v);
    if (Math.abs(e - Math.round(e)) > 1e-9) return '';
    return v >= 1000 ? v / 1000 + ' s' : String(v) + ' ms';
  }
  var common = { animation: false, responsive: true, maintainAspectRatio: false, normalized: true, parsing: false };
  function seconds(title) {
    return { type: 'linear', title: { display: true, text: title || 'time (s)' }, ticks: { maxTicksLimit: 12 } };
  }

  var blocks = JSON.parse(document.getElementById('lab-data').textContent);
  blocks.forEach(function (report, s) {
    var results = report.results;

    draw('latency-' + s, {
      type: 'scatter',
      data: { datasets: results.map(function (r, i) {
        var c = colorOf(results, i);
        return { label: nameOf(r), backgroundColor: c, borderColor: c, pointRadius: 1.5, pointHoverRadius: 3,
          data: r.series.reads.map(function (p) { return { x: p[0] / 1000, y: Math.max(p[1], 0.001) }; }) };
      }) },
      options: Object.assign({}, common, {
        plugins: { title: { display: true, text: 'read latency per read (log scale: a 1 s stall sits three decades above 1 ms)' },
          tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ': ' + ctx.parsed.y.toFixed(3) + ' ms at ' + ctx.parsed.x.toFixed(2) + ' s'; } } } },
        scales: { x: seconds(), y: { type: 'logarithmic', title: { display: true, text: 'latency (ms)' }, ticks: { callback: decade } } },
      }),
    });

    [['read', 1], ['write', 2]].forEach(function (kind) {
      draw(kind[0] + 'tput-' + s, {
        type: 'line',
        data: { datasets: results.map(function (r, i) {
          var c = colorOf(results, i);
          return { label: nameOf(r), borderColor: c, backgroundColor: c, pointRadius: 0, borderWidth: 1.5, stepped: true,
            data: r.series.throughput.map(function (p) { return { x: p[0] / 1000, y: p[kind[1]] }; }) };
        }) },
        options: Object.assign({}, common, {
          plugins: { title: { display: true, text: kind[0] + ' throughput (MB/s)' } },
          scales: { x: seconds(), y: { beginAtZero: true, title: { display: true, text: 'MB/s' } } },
        }),
      });
    });

    var stageSets = [
      { label: 'Q2D read (our queue)', key: 'stages', field: 'q2dMs', color: '#d55e00', stack: 'read' },
      { label: 'D2R read (kernel, wire, device)', key: 'stages', field: 'd2rMs', color: '#e69f00', stack: 'read' },
      { label: 'R2C read (receive, deliver)', key: 'stages', field: 'r2cMs', color: '#0072b2', stack: 'read' },
    ];
    if (results.some(function (r) { return r.writeStages; })) {
      stageSets.push(
        { label: 'Q2D write', key: 'writeStages', field: 'q2dMs', color: '#f4b183', stack: 'write' },
        { label: 'D2R write', key: 'writeStages', field: 'd2rMs', color: '#f7d98b', stack: 'write' },
        { label: 'R2C write', key: 'writeStages', field: 'r2cMs', color: '#9dc3e6', stack: 'write' });
    }
    draw('stages-' + s, {
      type: 'bar',
      data: { labels: results.map(nameOf), datasets: stageSets.map(function (d) {
        return { label: d.label, backgroundColor: d.color, stack: d.stack,
          data: results.map(function (r) { return r[d.key] ? r[d.key][d.field] : null; }) };
      }) },
      options: { animation: false, responsive: true, maintainAspectRatio: false,
        plugins: { title: { display: true, text: 'where request time went: mean ms per stage (Q submitted, D dispatched to the kernel, R first reply byte, C completed)' } },
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: 'ms' } } } },
    });

    results.forEach(function (r, i) {
      var names = ['our queue', 'socket user-space buffer', 'kernel Send-Q, not sent', 'kernel, in flight (unacked)', 'device Recv-Q'];
      var pick = [
        function (p) { return p[1]; },
        function (p) { return p[2]; },
        function (p) { return p[3] === null ? null : Math.max(0, p[3] - (p[4] || 0)); },
        function (p) { return p[4]; },
        function (p) { return p[5]; },
      ];
      draw('bytes-' + s + '-' + i, {
        type: 'line',
        data: { datasets: names.map(function (name, k) {
          return { label: name, borderColor: LOCATION_COLORS[k], backgroundColor: LOCATION_COLORS[k] + '99', fill: k === 0 ? 'origin' : '-1',
            pointRadius: 0, borderWidth: 1, spanGaps: false,
            data: r.series.bytes.map(function (p) { var v = pick[k](p); return { x: p[0] / 1000, y: v === null || v === undefined ? null : v / MiB }; }) };
        }) },
        options: Object.assign({}, common, {
          plugins: { title: { display: true, text: nameOf(r) + ': where the bytes are (MiB, stacked)' } },
          scales: { x: seconds(), y: { stacked: true, beginAtZero: true, title: { display: true, text: 'MiB' } } },
        }),
      });
    });
  });
  document.body.setAttribute('data-rendered', 'true');
})();
`;
