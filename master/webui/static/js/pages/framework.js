// framework.js - one framework: its facts (with the link to its own web UI), active and
// completed tasks.

import {h, facts, table, timestamp, number, memSize, breadcrumb, alert, safeUrl}
  from '../util.js';
import {taskColumns} from './home.js';

export function render(view, {model: m, params: [id]}) {
  const f = m.frameworks[id] || m.completed_frameworks[id];
  view.append(breadcrumb(['Master', '#/'], ['Frameworks', '#/frameworks'], ['Framework ' + id]));
  if (!f) {
    view.append(alert('No framework found with ID: ' + id));
    return;
  }
  if (!m.frameworks[id]) view.append(alert('This framework has terminated!', 'info'));
  view.append(h('div', {class: 'row'},
    h('div', {class: 'col-lg-3'}, h('div', {class: 'card card-body bg-light mb-3'}, facts([
      ['Name:', f.name],
      f.webui_url && ['Web UI:', safeUrl(f.webui_url)
        ? h('a', {href: f.webui_url, id: 'framework-webui'}, f.webui_url) : f.webui_url],
      ['User:', f.user],
      ['Role:', f.role],
      ['Registered:', timestamp(f.registered_time)],
      ['Re-registered:', timestamp(f.reregistered_time)],
      ['Active tasks:', number((f.tasks || []).length)],
      ['CPUs:', number((f.resources || {}).cpus)],
      ['Mem:', memSize((f.resources || {}).mem)],
    ]))),
    h('div', {class: 'col-lg-9'},
      table(f.tasks || [], taskColumns(m, false), {title: 'Active Tasks', sort: 3,
            descending: true, empty: 'No active tasks.'}),
      table(f.completed_tasks || [], taskColumns(m, true), {title: 'Completed Tasks', sort: 4,
            descending: true, empty: 'No completed tasks.'}))));
}
