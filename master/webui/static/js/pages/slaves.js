// slaves.js - every slave the master knows: ID, host, resources, registration time.

import {h, table, timestamp, number, memSize, dataSize, breadcrumb} from '../util.js';
import {slaveLink} from './links.js';

export function render(view, {model: m}) {
  view.append(breadcrumb(['Master', '#/'], ['Slaves']),
    table(Object.values(m.slaves), [
      {title: 'ID', key: (s) => s.id, cell: (s) => slaveLink(s.id)},
      {title: 'Host', key: (s) => s.hostname, cell: (s) => slaveLink(s.id, s.hostname)},
      {title: 'CPUs', key: (s) => s.resources.cpus || 0, cell: (s) => number(s.resources.cpus)},
      {title: 'Mem', key: (s) => s.resources.mem || 0, cell: (s) => memSize(s.resources.mem)},
      {title: 'Disk', key: (s) => s.resources.disk || 0,
       cell: (s) => dataSize((s.resources.disk || 0) * 1024 * 1024)},
      {title: 'Active', key: (s) => (s.active === false ? 'no' : 'yes')},
      {title: 'Registered', key: (s) => s.registered_time,
       cell: (s) => timestamp(s.registered_time)},
      {title: 'Re-Registered', key: (s) => s.reregistered_time || 0,
       cell: (s) => timestamp(s.reregistered_time)},
    ], {title: 'Slaves', empty: 'No slaves.'}));
}
