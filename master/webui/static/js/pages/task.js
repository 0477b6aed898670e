// task.js - one task (#/frameworks/FID/tasks/TID): what the master knows of it (state, where
// it runs, resources, its status updates) and its message timeline (timeline.js), read from
// the recorders of the master and of the task's slave while the page is open.

import {h, facts, table, timestamp, number, memSize, shortState, breadcrumb, alert, truncateId}
  from '../util.js';
import {findTask} from '../model.js';
import {frameworkLink, slaveLink, executorHref, sandboxLink, slaveHost} from './links.js';
import {timeline} from '../timeline.js';

export function render(view, {model: m, params: [fid, tid]}) {
  view.append(breadcrumb(['Master', '#/'], ['Frameworks', '#/frameworks'],
                         ['Framework ' + truncateId(fid),
                          `#/frameworks/${encodeURIComponent(fid)}`],
                         ['Task ' + tid]));
  const t = findTask(m, fid, tid);
  if (!t) {
    view.append(alert(`No task found with ID ${tid} in framework ${fid}`));
    return;
  }
  const slave = m.slaves[t.slave_id];
  const r = t.resources || {};
  const messages = h('div', {id: 'messages'});
  view.append(h('div', {class: 'row'},
    h('div', {class: 'col-lg-3'}, h('div', {class: 'card card-body bg-light mb-3', id: 'task'},
      facts([
        ['ID:', t.id],
        ['Name:', t.name],
        ['State:', shortState(t.state)],
        ['Framework:', frameworkLink(fid)],
        ['Slave:', slave ? slaveLink(t.slave_id, slaveHost(m, t.slave_id)) : t.slave_id],
        ['Executor:', slave ? h('a', {href: executorHref(t)}, t.executor_id) : t.executor_id],
        ['CPUs:', number(r.cpus)],
        ['Mem:', memSize(r.mem)],
        ['Started:', timestamp(t.start_time)],
      ]), sandboxLink(m, t))),
    h('div', {class: 'col-lg-9'},
      table(t.statuses || [], [
        {title: 'State', key: (s) => shortState(s.state)},
        {title: 'Time', key: (s) => s.timestamp, cell: (s) => timestamp(s.timestamp)},
      ], {title: 'Status updates', sort: 1, empty: 'No status update yet.'}))),
    messages);
  return timeline(messages, t, slave);
}
