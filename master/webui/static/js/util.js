// util.js - the small helpers every page uses: building DOM nodes, the formats of the Mesos
// UI (data sizes, truncated IDs, task states), timestamps that are relative and show the
// absolute time on click, sortable tables, and JSONP requests to the slaves (which live on
// other origins, as in the Mesos 0.22 UI).

// h('a', {href: '#/x', class: 'y'}, 'text', child, [more children]) -> an element.
// Attributes starting with "on" are event listeners; null/undefined/false children are skipped.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

// Replaces the children of el.
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

export function dataSize(bytes) {
  if (bytes === null || bytes === undefined || isNaN(bytes)) return '';
  const KB = 1024, MB = KB * 1024, GB = MB * 1024;
  if (bytes < KB) return bytes.toFixed() + ' B';
  if (bytes < MB) return (bytes / KB).toFixed() + ' KB';
  if (bytes < GB) return (bytes / MB).toFixed() + ' MB';
  return (bytes / GB).toFixed(1) + ' GB';
}

// Megabytes (as resources count memory) to a data size.
export const memSize = (mb) => dataSize((mb || 0) * 1024 * 1024);

export function number(x, digits = 3) {
  if (x === null || x === undefined || isNaN(x)) return '';
  return (+x).toLocaleString('en-US', {maximumFractionDigits: digits});
}

// "20150101-000000-16777343-5050-1234-0001" -> "…5050-1234-0001", as the Mesos UI shows IDs.
export function truncateId(id) {
  if (!id) return '';
  const parts = id.split('-');
  return parts.length > 3 ? '\u2026' + parts.slice(3).join('-') : id;
}

export const shortState = (s) => (s || '').replace(/^TASK_/, '');

// ---- time ----------------------------------------------------------------------------------

export function relativeTime(ms, now = Date.now()) {
  const s = Math.round((now - ms) / 1000);
  const future = s < 0, a = Math.abs(s);
  const units = [[60, 'second'], [60, 'minute'], [24, 'hour'], [365, 'day'], [Infinity, 'year']];
  let v = a, name = 'second';
  for (const [n, unit] of units) {
    name = unit;
    if (v < n) break;
    v = Math.floor(v / n);
  }
  if (a < 5) return 'just now';
  const text = `${v} ${name}${v === 1 ? '' : 's'}`;
  return future ? 'in ' + text : text + ' ago';
}

// Whether timestamps show absolute times: one switch for the whole UI, kept across visits.
let absolute = localStorage.getItem('absoluteTime') === 'true';

// A timestamp (seconds since the epoch) shown relative ("3 minutes ago"); a click switches
// every timestamp on the page between relative and absolute (ISO 8601) time.
export function timestamp(secs) {
  if (!secs) return '-';
  const ms = secs * 1000;
  const iso = new Date(ms).toISOString();
  const el = h('time', {datetime: iso, title: iso, class: 'm-timestamp', 'data-ms': ms},
               absolute ? iso : relativeTime(ms));
  el.addEventListener('click', () => {
    absolute = !absolute;
    localStorage.setItem('absoluteTime', String(absolute));
    for (const t of document.querySelectorAll('time.m-timestamp')) {
      const v = +t.dataset.ms;
      t.textContent = absolute ? new Date(v).toISOString() : relativeTime(v);
    }
  });
  return el;
}

// ---- tables --------------------------------------------------------------------------------

// A table of rows with sortable columns and a filter box, as the Mesos UI's m-table.
// columns: [{title, key: row => sortable value, cell: row => node or text, cls}];
// opts: {title, empty, sort: index of the column sorted first, descending}.
export function table(rows, columns, opts = {}) {
  let sortCol = opts.sort ?? 0, desc = opts.descending ?? false, filter = '';
  const tbody = h('tbody');
  const heads = columns.map((c, i) => h('th', {class: c.cls, onclick: () => {
    desc = sortCol === i ? !desc : false;
    sortCol = i;
    render();
  }}, c.title));
  const input = h('input', {type: 'search', class: 'form-control form-control-sm',
                            placeholder: 'Filter', 'aria-label': 'Filter ' + (opts.title || '')});
  input.addEventListener('input', () => { filter = input.value.toLowerCase(); render(); });

  function render() {
    const key = columns[sortCol].key || (() => '');
    const shown = rows
      .filter((r) => !filter || columns.some((c) => String(c.key ? c.key(r) : '')
        .toLowerCase().includes(filter)))
      .sort((a, b) => {
        const x = key(a), y = key(b);
        const c = x < y ? -1 : x > y ? 1 : 0;
        return desc ? -c : c;
      });
    heads.forEach((th, i) => th.className = (columns[i].cls || '') +
      (i === sortCol ? (desc ? ' sorted-desc' : ' sorted-asc') : ''));
    mount(tbody, shown.length ? shown.map((r) => h('tr', null,
      columns.map((c) => h('td', {class: c.cls}, c.cell ? c.cell(r) : c.key(r)))))
      : h('tr', null, h('td', {colspan: columns.length, class: 'text-muted'},
                        opts.empty || 'Nothing to show.')));
  }
  render();
  return h('div', {class: 'm-table mb-4'},
    h('div', {class: 'd-flex justify-content-between align-items-end mb-1'},
      h('h5', {class: 'mb-0'}, opts.title || ''), h('div', {class: 'm-filter'}, input)),
    h('table', {class: 'table table-sm table-striped table-bordered'},
      h('thead', null, h('tr', null, heads)), tbody));
}

// A definition list of [label, value] pairs (value: node or text).
export function facts(pairs) {
  return h('dl', {class: 'm-facts'},
    pairs.filter(Boolean).map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

export function alert(text, kind = 'danger') {
  return h('div', {class: `alert alert-${kind}`, role: 'alert'}, text);
}

export function breadcrumb(...items) {
  return h('nav', {'aria-label': 'breadcrumb'}, h('ol', {class: 'breadcrumb'},
    items.map(([text, href], i) => h('li', {class: 'breadcrumb-item' +
      (i === items.length - 1 ? ' active' : '')}, href ? h('a', {href}, text) : text))));
}

// ---- requests ------------------------------------------------------------------------------

export async function getJSON(url) {
  const r = await fetch(url, {cache: 'no-store'});
  if (!r.ok) throw new Error(`${url}: ${r.status} ${r.statusText}`);
  return r.json();
}

let jsonpSeq = 0;

// GETs url?...&jsonp=<callback> from another origin (a slave) through a script element,
// as the Mesos 0.22 UI does. Rejects on a load error or after timeoutMs.
export function jsonp(url, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const name = `__mesos_jsonp_${++jsonpSeq}`;
    const script = document.createElement('script');
    const done = () => { clearTimeout(timer); delete window[name]; script.remove(); };
    const timer = setTimeout(() => { done(); reject(new Error(`${url}: timed out`)); },
                             timeoutMs);
    window[name] = (data) => { done(); resolve(data); };
    script.onerror = () => { done(); reject(new Error(`${url}: failed to load`)); };
    script.src = url + (url.includes('?') ? '&' : '?') + 'jsonp=' + name;
    document.head.append(script);
  });
}

// "slave(1)@10.0.0.2:5051" and a hostname -> {id: "slave(1)", host: "hostname:5051"}.
export function pidHost(pid, hostname) {
  const at = pid.indexOf('@');
  return {id: pid.slice(0, at), host: hostname + ':' + pid.slice(pid.lastIndexOf(':') + 1)};
}

// url if it is http(s), else null: a framework's webui_url is not ours to trust with
// javascript: and the like.
export function safeUrl(url) {
  try {
    return ['http:', 'https:'].includes(new URL(url).protocol) ? url : null;
  } catch (e) {
    return null;
  }
}

export function basename(path) {
  if (path === '/') return path;
  const p = path.endsWith('/') ? path.slice(0, -1) : path;
  return p.slice(p.lastIndexOf('/') + 1);
}
