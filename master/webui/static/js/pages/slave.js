// slave.js - a slave read from the slave itself, cross-origin with ?jsonp= as the Mesos 0.22
// UI does: the slave (/slaves/ID), one framework on it (/slaves/ID/frameworks/FID) and one
// executor (/slaves/ID/frameworks/FID/executors/EID): frameworks -> executors -> tasks, with
// resources used (from /monitor/statistics.json) against those allocated.

import {h, mount, facts, table, timestamp, number, memSize, dataSize, shortState, alert,
        breadcrumb, jsonp, pidHost, truncateId} from '../util.js';
import {findFramework, findExecutor} from '../model.js';
import {logLink} from '../files.js';
import {taskLink} from './links.js';

// The previous statistics per executor, to turn CPU seconds into a usage rate.
const lastStats = new Map();

// {frameworkId: {executorId: {cpus, mem_bytes}}} from one /monitor/statistics.json answer.
function usage(stats) {
  const out = {};
  for (const e of stats || []) {
    const key = e.framework_id + '/' + e.executor_id, s = e.statistics || {};
    const cpuSecs = (s.cpus_user_time_secs || 0) + (s.cpus_system_time_secs || 0);
    const prev = lastStats.get(key);
    let cpus = 0;
    if (prev && s.timestamp > prev.t) cpus = Math.max(0, (cpuSecs - prev.c) / (s.timestamp - prev.t));
    lastStats.set(key, {t: s.timestamp, c: cpuSecs});
    (out[e.framework_id] ||= {})[e.executor_id] = {cpus, mem: s.mem_rss_bytes || 0};
  }
  return out;
}

function sumUsage(u, fid) {
  const t = {cpus: 0, mem: 0};
  for (const e of Object.values((u && u[fid]) || {})) { t.cpus += e.cpus; t.mem += e.mem; }
  return t;
}

function frameworkStats(f) {
  f.num_tasks = 0; f.cpus = 0; f.mem = 0;
  for (const e of f.executors || []) {
    f.num_tasks += (e.tasks || []).length;
    f.cpus += (e.resources || {}).cpus || 0;
    f.mem += (e.resources || {}).mem || 0;
  }
}

const execBase = (sid, fid) => `#/slaves/${encodeURIComponent(sid)}/frameworks/` +
                               `${encodeURIComponent(fid)}`;

function slaveView(sid, host, st, u) {
  const all = st.frameworks.concat(st.completed_frameworks || []);
  all.forEach(frameworkStats);
  const used = {cpus: 0, mem: 0};
  for (const f of st.frameworks) { const x = sumUsage(u, f.id); used.cpus += x.cpus; used.mem += x.mem; }
  const fcols = (completed) => [
    {title: 'ID', key: (f) => f.id,
     cell: (f) => h('a', {href: execBase(sid, f.id), title: f.id}, truncateId(f.id) || f.name)},
    {title: 'User', key: (f) => f.user},
    {title: 'Name', key: (f) => f.name},
    {title: 'Active Tasks', key: (f) => f.num_tasks},
    {title: completed ? 'CPUs' : 'CPUs (Used / Allocated)', key: (f) => f.cpus,
     cell: (f) => completed ? number(f.cpus) : `${number(sumUsage(u, f.id).cpus)} / ${number(f.cpus)}`},
    {title: completed ? 'Mem' : 'Mem (Used / Allocated)', key: (f) => f.mem,
     cell: (f) => completed ? memSize(f.mem)
                            : `${dataSize(sumUsage(u, f.id).mem)} / ${memSize(f.mem)}`},
  ];
  return h('div', {class: 'row'},
    h('div', {class: 'col-lg-3'}, h('div', {class: 'card card-body bg-light mb-3'},
      facts([['Slave:', st.hostname], ['ID:', st.id], ['Version:', st.version],
             ['Started:', timestamp(st.start_time)], ['Master:', st.master_hostname]]),
      logLink(host, '/slave/log', 'Mesos Slave',
              !!(st.external_log_file || st.log_dir || (st.flags || {}).log_dir)),
      h('h6', null, 'Tasks'), counts(st),
      h('h6', null, 'Resources'),
      resourcesTable(used, st.resources))),
    h('div', {class: 'col-lg-9'},
      table(st.frameworks, fcols(false), {title: 'Frameworks', empty: 'No frameworks.'}),
      table(st.completed_frameworks || [], fcols(true), {title: 'Completed Frameworks',
            empty: 'No completed frameworks.'})));
}

function counts(st) {
  return h('table', {class: 'table table-sm'}, h('tbody', null,
    [['Staged', 'staged_tasks'], ['Started', 'started_tasks'], ['Finished', 'finished_tasks'],
     ['Killed', 'killed_tasks'], ['Failed', 'failed_tasks'], ['Lost', 'lost_tasks']]
      .map(([k, key]) => h('tr', null, h('td', null, k),
                           h('td', {class: 'text-end'}, number(st[key] || 0))))));
}

function resourcesTable(used, alloc) {
  alloc = alloc || {};
  return h('table', {class: 'table table-sm', id: 'resources'},
    h('thead', null, h('tr', null, h('td'), h('td', {class: 'text-end'}, 'Used'),
                       h('td', {class: 'text-end'}, 'Allocated'))),
    h('tbody', null,
      h('tr', null, h('td', null, 'CPUs'), h('td', {class: 'text-end'}, number(used.cpus)),
        h('td', {class: 'text-end'}, number(alloc.cpus))),
      h('tr', null, h('td', null, 'Mem'), h('td', {class: 'text-end'}, dataSize(used.mem)),
        h('td', {class: 'text-end'}, memSize(alloc.mem))),
      h('tr', null, h('td', null, 'Disk'), h('td', {class: 'text-end'}, dataSize(0)),
        h('td', {class: 'text-end'}, memSize(alloc.disk)))));
}

function frameworkView(sid, f, u) {
  frameworkStats(f);
  const cols = [
    {title: 'ID', key: (e) => e.id, cell: (e) => h('a', {href: execBase(sid, f.id) +
      '/executors/' + encodeURIComponent(e.id)}, e.id)},
    {title: 'Name', key: (e) => e.name},
    {title: 'Source', key: (e) => e.source},
    {title: 'Active Tasks', key: (e) => (e.tasks || []).length},
    {title: 'CPUs (Used / Allocated)', key: (e) => e.resources.cpus,
     cell: (e) => `${number(((u[f.id] || {})[e.id] || {}).cpus || 0)} / ${number(e.resources.cpus)}`},
    {title: 'Mem (Used / Allocated)', key: (e) => e.resources.mem,
     cell: (e) => `${dataSize(((u[f.id] || {})[e.id] || {}).mem || 0)} / ${memSize(e.resources.mem)}`},
    {title: '', cell: (e) => h('a', {href: `#/slaves/${encodeURIComponent(sid)}/browse?path=` +
      encodeURIComponent(e.directory)}, 'Sandbox')},
  ];
  return h('div', {class: 'row'},
    h('div', {class: 'col-lg-3'}, h('div', {class: 'card card-body bg-light mb-3'},
      facts([['Name:', f.name], ['ID:', f.id], ['User:', f.user],
             ['Active tasks:', number(f.num_tasks)]]),
      h('h6', null, 'Resources'), resourcesTable(sumUsage(u, f.id), {cpus: f.cpus, mem: f.mem}))),
    h('div', {class: 'col-lg-9'},
      table(f.executors || [], cols, {title: 'Executors', empty: 'No executors.'}),
      table(f.completed_executors || [], cols.filter((c) => !c.title.includes('Used')),
            {title: 'Completed Executors', empty: 'No completed executors.'})));
}

function executorView(sid, f, e, u) {
  const sandbox = (t) => h('a', {href: `#/slaves/${encodeURIComponent(sid)}/browse?path=` +
                                        encodeURIComponent(e.directory)}, 'Sandbox');
  const tcols = [
    {title: 'ID', key: (t) => t.id, cell: taskLink},
    {title: 'Name', key: (t) => t.name},
    {title: 'State', key: (t) => shortState(t.state)},
    {title: 'CPUs (allocated)', key: (t) => t.resources.cpus, cell: (t) => number(t.resources.cpus)},
    {title: 'Mem (allocated)', key: (t) => t.resources.mem, cell: (t) => memSize(t.resources.mem)},
    {title: '', cell: sandbox},
  ];
  const x = (u[f.id] || {})[e.id] || {cpus: 0, mem: 0};
  return h('div', {class: 'row'},
    h('div', {class: 'col-lg-3'}, h('div', {class: 'card card-body bg-light mb-3'},
      facts([['Executor name:', e.name], ['Executor source:', e.source],
             ['Directory:', h('code', {class: 'small'}, e.directory)],
             ['Active tasks:', number((e.tasks || []).length)]]),
      h('h6', null, 'Resources'), resourcesTable(x, e.resources))),
    h('div', {class: 'col-lg-9'},
      table(e.queued_tasks || [], tcols.slice(0, 5), {title: 'Queued Tasks',
            empty: 'No queued tasks.'}),
      table(e.tasks || [], tcols, {title: 'Tasks', empty: 'No active tasks.'}),
      table(e.completed_tasks || [], tcols, {title: 'Completed Tasks',
            empty: 'No completed tasks.'})));
}

export function render(view, {model: m, params: [sid, fid, eid]}) {
  const crumbs = [['Master', '#/'], ['Slave ' + truncateId(sid), fid ? '#/slaves/' +
                  encodeURIComponent(sid) : null]];
  if (fid) crumbs.push(['Framework ' + truncateId(fid), eid ? execBase(sid, fid) : null]);
  if (eid) crumbs.push(['Executor ' + eid]);
  view.append(breadcrumb(...crumbs));
  const slave = m.slaves[sid];
  if (!slave) {
    view.append(alert('No slave found with ID: ' + sid));
    return;
  }
  const body = h('div', {id: 'slave'}, h('p', {class: 'text-muted'}, 'Loading\u2026'));
  view.append(body);
  const {id, host} = pidHost(slave.pid, slave.hostname);
  let left = false;
  Promise.all([jsonp(`http://${host}/${id}/state.json`),
               jsonp(`http://${host}/monitor/statistics.json`).catch(() => [])])
    .then(([st, stats]) => {
      if (left) return;
      const u = usage(stats);
      if (!fid) return mount(body, slaveView(sid, host, st, u));
      const f = findFramework(st, fid);
      if (!f) return mount(body, alert('No framework found with ID: ' + fid));
      if (!eid) return mount(body, frameworkView(sid, f, u));
      const e = findExecutor(f, eid);
      if (!e) return mount(body, alert('No executor found with ID: ' + eid));
      mount(body, executorView(sid, f, e, u));
    })
    .catch((err) => {
      if (!left) mount(body, alert(`Failed to reach slave ${sid} at ${host}: ${err.message}`));
    });
  return () => { left = true; };
}
