// home.js - the Home page: who this master is (cluster, version, build, start and election
// time, the LOG link), slaves, tasks by state, total/used/offered/idle resources, the live
// charts, and the active and completed tasks.

import {h, facts, table, timestamp, number, memSize, shortState, breadcrumb} from '../util.js';
import {taskCount} from '../model.js';
import {drawCharts} from '../charts.js';
import {taskLink, sandboxLink, slaveHost} from './links.js';
import {logLink} from '../files.js';

function summary(m) {
  const s = m.state;
  const rows = (pairs) => h('table', {class: 'table table-sm'}, h('tbody', null,
    pairs.map(([k, v]) => h('tr', null, h('td', null, k), h('td', {class: 'text-end'}, v)))));
  const resources = h('table', {class: 'table table-sm'},
    h('thead', null, h('tr', null, h('td'), h('td', {class: 'text-end'}, 'CPUs'),
                       h('td', {class: 'text-end'}, 'Mem'))),
    h('tbody', null, [['Total', m.total_cpus, m.total_mem], ['Used', m.used_cpus, m.used_mem],
                      ['Offered', m.offered_cpus, m.offered_mem],
                      ['Idle', m.idle_cpus, m.idle_mem]]
      .map(([k, c, mem]) => h('tr', null, h('td', null, k),
        h('td', {class: 'text-end'}, number(c)), h('td', {class: 'text-end'}, memSize(mem))))));
  return h('div', {class: 'card card-body bg-light mb-3', id: 'summary'},
    facts([
      ['Cluster:', s.cluster || h('span', {class: 'text-muted',
        title: 'Name the cluster with the master\'s --cluster flag.'}, '(Unnamed)')],
      ['Server:', (s.pid || '').split('@')[1] || ''],
      ['Version:', s.version],
      ['Built:', [s.build_time ? timestamp(s.build_time) : (s.build_date || ''),
                  s.build_user ? [' by ', h('i', null, s.build_user)] : '']],
      ['Started:', timestamp(s.start_time)],
      ['Elected:', timestamp(s.elected_time)],
      s.external_log_file && ['External log:', h('code', null, s.external_log_file)],
    ]),
    logLink(location.host, '/master/log', 'Mesos Master',
            !!(s.external_log_file || s.log_dir)),
    h('h6', null, 'Slaves'),
    rows([['Activated', number(s.activated_slaves)],
          ['Deactivated', number(s.deactivated_slaves)]]),
    h('h6', null, 'Tasks'),
    rows([['Staged', 'staged_tasks', 'TASK_STAGING'], ['Started', 'started_tasks',
          'TASK_STARTING'], ['Running', 'running_tasks', 'TASK_RUNNING'],
          ['Finished', 'finished_tasks', 'TASK_FINISHED'], ['Killed', 'killed_tasks',
          'TASK_KILLED'], ['Failed', 'failed_tasks', 'TASK_FAILED'],
          ['Lost', 'lost_tasks', 'TASK_LOST']]
      .map(([label, key, st]) => [label, number(taskCount(m, key, st))])),
    h('h6', null, 'Resources'), resources);
}

export function taskColumns(m, completed) {
  return [
    {title: 'ID', key: (t) => t.id, cell: taskLink},
    {title: 'Name', key: (t) => t.name},
    {title: 'State', key: (t) => shortState(t.state)},
    {title: 'Started', key: (t) => t.start_time || 0, cell: (t) => timestamp(t.start_time)},
    completed && {title: 'Stopped', key: (t) => t.finish_time || 0,
                  cell: (t) => timestamp(t.finish_time)},
    {title: 'Host', key: (t) => slaveHost(m, t.slave_id), cell: (t) => m.slaves[t.slave_id]
      ? h('a', {href: `#/slaves/${encodeURIComponent(t.slave_id)}`}, slaveHost(m, t.slave_id))
      : h('span', {class: 'text-muted'}, 'Slave offline')},
    {title: '', cell: (t) => sandboxLink(m, t)},
  ].filter(Boolean);
}

export function render(view, {model: m, history}) {
  const canvases = {cpus: h('canvas', {id: 'chart-cpus'}), mem: h('canvas', {id: 'chart-mem'}),
                    tasks: h('canvas', {id: 'chart-tasks'})};
  const chart = (title, c) => h('div', {class: 'col-md-4'}, h('div', {class: 'card mb-3'},
    h('div', {class: 'card-body'}, h('h6', null, title), h('div', {class: 'm-chart'}, c))));
  view.append(
    breadcrumb(['Master ' + m.state.id]),
    h('div', {class: 'row'},
      h('div', {class: 'col-lg-3'}, summary(m)),
      h('div', {class: 'col-lg-9'},
        h('div', {class: 'row'}, chart('CPUs: allocated and total', canvases.cpus),
          chart('Memory: allocated and total', canvases.mem),
          chart('Tasks by state', canvases.tasks)),
        table(m.active_tasks, taskColumns(m, false), {title: 'Active Tasks', sort: 3,
              descending: true, empty: 'No active tasks.'}),
        table(m.completed_tasks, taskColumns(m, true), {title: 'Completed Tasks', sort: 4,
              descending: true, empty: 'No completed tasks.'}))));
  return drawCharts(history, canvases);
}
