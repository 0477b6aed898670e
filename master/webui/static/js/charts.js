// charts.js - the Home page's live charts, beyond the Mesos UI: allocated vs total CPUs and
// memory, and tasks by state, over the last minutes. The samples are taken from each
// state.json the UI reads and kept in the browser (sessionStorage, so a reload keeps them);
// Chart.js (Debian's node-chart.js, served beside our files) draws them.

import {TASK_STATES} from './model.js';

const KEY = 'mesos.history';

export class History {
  // keepSecs: how far back samples are kept.
  constructor(keepSecs) {
    this.keepMs = keepSecs * 1000;
    try {
      this.samples = JSON.parse(sessionStorage.getItem(KEY)) || [];
    } catch (e) {
      this.samples = [];
    }
  }

  add(m) {
    const now = Date.now();
    this.samples.push({
      t: now, total_cpus: m.total_cpus, used_cpus: m.used_cpus,
      total_mem: m.total_mem, used_mem: m.used_mem,
      counts: Object.fromEntries(TASK_STATES.map((s) => [s, m.counts[s] || 0])),
    });
    this.samples = this.samples.filter((s) => s.t >= now - this.keepMs);
    sessionStorage.setItem(KEY, JSON.stringify(this.samples));
  }
}

const COLORS = {
  TASK_STAGING: '#6c757d', TASK_STARTING: '#0dcaf0', TASK_RUNNING: '#0d6efd',
  TASK_FINISHED: '#198754', TASK_FAILED: '#dc3545', TASK_KILLED: '#fd7e14',
  TASK_LOST: '#6f42c1', TASK_ERROR: '#d63384',
};

const timeLabel = (t) => new Date(t).toLocaleTimeString();

function lineChart(canvas, labels, datasets, yTitle) {
  const dots = labels.length < 3; // a line needs two samples: show the first ones as dots
  return new window.Chart(canvas, {
    type: 'line',
    data: {labels, datasets},
    options: {
      animation: false, responsive: true, maintainAspectRatio: false,
      elements: {point: {radius: dots ? 3 : 0}, line: {tension: 0, borderWidth: 2}},
      plugins: {legend: {labels: {boxWidth: 12}}},
      scales: {y: {beginAtZero: true, title: {display: true, text: yTitle}},
               x: {ticks: {maxTicksLimit: 6}}},
    },
  });
}

// Draws the three charts into the given canvases; returns a function that frees them.
export function drawCharts(history, canvases) {
  if (!window.Chart) return () => {};
  const s = history.samples, labels = s.map((x) => timeLabel(x.t));
  const series = (label, values, color, dashed) => ({
    label, data: values, borderColor: color, backgroundColor: color,
    borderDash: dashed ? [6, 4] : undefined,
  });
  const charts = [
    lineChart(canvases.cpus, labels, [
      series('Total', s.map((x) => x.total_cpus), '#6c757d', true),
      series('Allocated', s.map((x) => x.used_cpus), '#0d6efd')], 'CPUs'),
    lineChart(canvases.mem, labels, [
      series('Total', s.map((x) => x.total_mem), '#6c757d', true),
      series('Allocated', s.map((x) => x.used_mem), '#198754')], 'MB'),
    lineChart(canvases.tasks, labels, TASK_STATES
      .filter((st) => s.some((x) => x.counts[st] > 0) || st === 'TASK_RUNNING')
      .map((st) => series(st.replace('TASK_', ''), s.map((x) => x.counts[st]), COLORS[st])),
      'tasks'),
  ];
  return () => charts.forEach((c) => c.destroy());
}
