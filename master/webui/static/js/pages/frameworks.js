// frameworks.js - active frameworks (with Max Share, their share of the cluster's dominant
// resource) and terminated ones.

import {h, table, timestamp, number, memSize, breadcrumb, safeUrl} from '../util.js';
import {frameworkLink} from './links.js';

export function render(view, {model: m}) {
  const active = Object.values(m.frameworks), done = Object.values(m.completed_frameworks);
  view.append(
    breadcrumb(['Master', '#/'], ['Frameworks']),
    table(active, [
      {title: 'ID', key: (f) => f.id, cell: (f) => frameworkLink(f.id)},
      {title: 'Host', key: (f) => f.hostname, cell: (f) => safeUrl(f.webui_url)
        ? h('a', {href: f.webui_url}, f.hostname || f.webui_url) : f.hostname},
      {title: 'User', key: (f) => f.user},
      {title: 'Name', key: (f) => f.name},
      {title: 'Active Tasks', key: (f) => (f.tasks || []).length},
      {title: 'CPUs', key: (f) => f.resources.cpus || 0, cell: (f) => number(f.resources.cpus)},
      {title: 'Mem', key: (f) => f.resources.mem || 0, cell: (f) => memSize(f.resources.mem)},
      {title: 'Max Share', key: (f) => f.max_share,
       cell: (f) => number(f.max_share * 100, 2) + '%'},
      {title: 'Registered', key: (f) => f.registered_time,
       cell: (f) => timestamp(f.registered_time)},
      {title: 'Re-Registered', key: (f) => f.reregistered_time || 0,
       cell: (f) => timestamp(f.reregistered_time)},
    ], {title: 'Active Frameworks', empty: 'No active frameworks.'}),
    table(done, [
      {title: 'ID', key: (f) => f.id, cell: (f) => frameworkLink(f.id)},
      {title: 'Host', key: (f) => f.hostname},
      {title: 'User', key: (f) => f.user},
      {title: 'Name', key: (f) => f.name},
      {title: 'Registered', key: (f) => f.registered_time,
       cell: (f) => timestamp(f.registered_time)},
      {title: 'Unregistered', key: (f) => f.unregistered_time,
       cell: (f) => timestamp(f.unregistered_time)},
    ], {title: 'Terminated Frameworks', empty: 'No terminated frameworks.'}));
}
