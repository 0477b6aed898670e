// offers.js - the outstanding offers: ID, framework, host, CPUs and memory.

import {h, table, number, memSize, truncateId, breadcrumb} from '../util.js';
import {frameworkLink, slaveLink} from './links.js';

export function render(view, {model: m}) {
  view.append(breadcrumb(['Master', '#/'], ['Offers']),
    table(Object.values(m.offers), [
      {title: 'ID', key: (o) => o.id, cell: (o) => h('abbr', {title: o.id}, truncateId(o.id))},
      {title: 'Framework', key: (o) => o.framework_name,
       cell: (o) => frameworkLink(o.framework_id, o.framework_name || o.framework_id)},
      {title: 'Host', key: (o) => o.hostname, cell: (o) => slaveLink(o.slave_id, o.hostname)},
      {title: 'CPUs', key: (o) => o.resources.cpus || 0, cell: (o) => number(o.resources.cpus)},
      {title: 'Mem', key: (o) => o.resources.mem || 0, cell: (o) => memSize(o.resources.mem)},
    ], {title: 'Offers', empty: 'No outstanding offers.'}));
}
