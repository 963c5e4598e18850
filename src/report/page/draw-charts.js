/* global echarts, window, document */
// Runs inside the report page, after ECharts: draws every element with a data-chart attribute from the
// options embedded as JSON (#report-data), then marks <html data-charts="drawn"> for whoever waits for it.
// The options are built and checked in TypeScript (src/report/charts.ts); this script only hands them over.
(function () {
  'use strict';
  var payload = JSON.parse(document.getElementById('report-data').textContent);
  var charts = [];
  document.querySelectorAll('[data-chart]').forEach(function (element) {
    var option = payload.charts[element.getAttribute('data-chart')];
    if (!option) throw new Error('no chart option for ' + element.getAttribute('data-chart'));
    var chart = echarts.init(element, null, { renderer: 'canvas' });
    chart.setOption(option);
    charts.push(chart);
  });
  window.addEventListener('resize', function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
  document.documentElement.setAttribute('data-charts', 'drawn');
})();
