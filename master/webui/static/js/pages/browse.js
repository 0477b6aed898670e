// browse.js - a slave's sandbox browser: a directory listing (mode, nlink, uid, gid, size,
// mtime, name, download) read from the slave's /files/browse.json with ?jsonp=; a file opens
// in the pailer (pailer.html), which follows it as it grows. The executor route
// (/slaves/S/frameworks/F/executors/E/browse) first asks the slave for the executor's
// directory, as Mesos' SlaveExecutorRerouterCtrl does.

import {h, mount, alert, breadcrumb, dataSize, jsonp, pidHost, basename, truncateId}
  from '../util.js';
import {findFramework, findExecutor} from '../model.js';
import {openPailer} from '../files.js';

function mtime(secs) {
  const d = new Date(secs * 1000), now = new Date();
  const opts = d.getFullYear() === now.getFullYear()
    ? {month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false}
    : {month: 'short', day: '2-digit', year: 'numeric'};
  return d.toLocaleString('en-US', opts);
}

function listing(sid, host, files) {
  const href = (p) => `#/slaves/${encodeURIComponent(sid)}/browse?path=${encodeURIComponent(p)}`;
  files.sort((a, b) => (a.mode[0] === 'd') !== (b.mode[0] === 'd')
    ? (a.mode[0] === 'd' ? -1 : 1) : a.path.localeCompare(b.path));
  if (!files.length) return h('p', {class: 'text-muted'}, 'No files in this directory.');
  return h('table', {class: 'table table-sm', id: 'listing'},
    h('thead', null, h('tr', null, ['mode', 'nlink', 'uid', 'gid', 'size', 'mtime', 'name', '']
      .map((t) => h('th', {class: ['nlink', 'size', 'mtime'].includes(t) ? 'text-end' : null},
                    t)))),
    h('tbody', null, files.map((f) => {
      const dir = f.mode[0] === 'd';
      const name = dir ? h('a', {href: href(f.path)}, basename(f.path) + '/')
        : h('a', {href: '', 'data-file': basename(f.path), onclick: (e) => {
          e.preventDefault();
          openPailer(host, f.path);
        }}, basename(f.path));
      return h('tr', null, h('td', null, h('code', null, f.mode)),
        h('td', {class: 'text-end'}, f.nlink), h('td', null, f.uid), h('td', null, f.gid),
        h('td', {class: 'text-end'}, dataSize(f.size)), h('td', {class: 'text-end'}, mtime(f.mtime)),
        h('td', null, name),
        h('td', null, dir ? '' : h('a', {class: 'btn btn-sm btn-outline-secondary',
          href: `http://${host}/files/download.json?path=${encodeURIComponent(f.path)}`},
          'Download')));
    })));
}

function pathCrumbs(sid, path) {
  const parts = path.split('/');
  return h('nav', {'aria-label': 'path'}, h('ol', {class: 'breadcrumb m-path'},
    parts.map((p, i) => h('li', {class: 'breadcrumb-item'}, h('a', {href:
      `#/slaves/${encodeURIComponent(sid)}/browse?path=` +
      encodeURIComponent(parts.slice(0, i + 1).join('/') || '/')}, p || '/')))));
}

async function executorDirectory(slave, fid, eid) {
  const {id, host} = pidHost(slave.pid, slave.hostname);
  const st = await jsonp(`http://${host}/${id}/state.json`);
  const f = findFramework(st, fid);
  if (!f) throw new Error(`Framework ${fid} does not exist on this slave.`);
  const e = findExecutor(f, eid);
  if (!e) throw new Error(`Executor ${eid} does not exist on this slave.`);
  return e.directory;
}

export function render(view, {model: m, params: [sid, fid, eid], query}) {
  view.append(breadcrumb(['Master', '#/'], ['Slave ' + truncateId(sid),
                         '#/slaves/' + encodeURIComponent(sid)], ['Browse']));
  const slave = m.slaves[sid];
  if (!slave) {
    view.append(alert('No slave found with ID: ' + sid));
    return;
  }
  const body = h('div', {id: 'browse'}, h('p', {class: 'text-muted'}, 'Loading\u2026'));
  view.append(body);
  let left = false;
  if (fid) { // the executor route: find its sandbox, then show it under its own URL
    executorDirectory(slave, fid, eid).then((dir) => {
      if (!left) location.replace(`#/slaves/${encodeURIComponent(sid)}/browse?path=` +
                                  encodeURIComponent(dir));
    }).catch((e) => !left && mount(body, alert(e.message)));
    return () => { left = true; };
  }
  const path = query.get('path');
  if (!path) {
    mount(body, alert('Missing "path" request parameter.'));
    return;
  }
  const {host} = pidHost(slave.pid, slave.hostname);
  jsonp(`http://${host}/files/browse.json?path=${encodeURIComponent(path)}`)
    .then((files) => !left && mount(body, pathCrumbs(sid, path), listing(sid, host, files)))
    .catch(() => !left && mount(body, pathCrumbs(sid, path),
                                alert('Error browsing path: ' + path)));
  return () => { left = true; };
}
