// app.js - the web UI's entry point: polls this master's state.json, sends the browser to the
// leader when this master is a standby, keeps the Home charts' history, and routes the
// location hash (#/frameworks/ID ...) to the page that renders it. Each page is a module
// with render(view, ctx) that may return a function to call when the page is left.

import {h, mount, alert, getJSON} from './util.js';
import {derive} from './model.js';
import {History} from './charts.js';
import * as home from './pages/home.js';
import * as frameworks from './pages/frameworks.js';
import * as framework from './pages/framework.js';
import * as task from './pages/task.js';
import * as slaves from './pages/slaves.js';
import * as slave from './pages/slave.js';
import * as offers from './pages/offers.js';
import * as browse from './pages/browse.js';

// [pattern, page, navbar tab], first match wins; (...) groups are the page's params.
const ROUTES = [
  [/^\/$/, home, null],
  [/^\/frameworks$/, frameworks, 'frameworks'],
  [/^\/frameworks\/([^/]+)$/, framework, 'frameworks'],
  [/^\/frameworks\/([^/]+)\/tasks\/([^/]+)$/, task, 'frameworks'],
  [/^\/slaves$/, slaves, 'slaves'],
  [/^\/slaves\/([^/]+)$/, slave, 'slaves'],
  [/^\/slaves\/([^/]+)\/frameworks\/([^/]+)$/, slave, 'slaves'],
  [/^\/slaves\/([^/]+)\/frameworks\/([^/]+)\/executors\/([^/]+)$/, slave, 'slaves'],
  [/^\/slaves\/([^/]+)\/frameworks\/([^/]+)\/executors\/([^/]+)\/browse$/, browse, 'slaves'],
  [/^\/slaves\/([^/]+)\/browse$/, browse, 'slaves'],
  [/^\/offers$/, offers, 'offers'],
];

// Mesos polls less often on large clusters; so do we.
function pollInterval(numSlaves) {
  return numSlaves < 500 ? 5000 : numSlaves < 1000 ? 20000 : numSlaves < 5000 ? 30000 : 60000;
}

const view = document.getElementById('view');
const history = new History(10 * 60); // ten minutes of samples, kept in this tab
let model = null, leave = null, lastError = null;

function decodeParam(p) {
  try {
    return decodeURIComponent(p);
  } catch (e) {
    return p;
  }
}

function parseHash() {
  let raw = location.hash.replace(/^#/, '') || '/';
  try {
    raw = decodeURI(raw);
  } catch (e) { /* a malformed escape: route it as it is */ }
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  for (const [re, page, tab] of ROUTES) {
    const match = path.match(re);
    if (match) return {page, tab, params: match.slice(1).map(decodeParam), query};
  }
  return null;
}

function setTab(tab) {
  for (const a of document.querySelectorAll('[data-tab]'))
    a.classList.toggle('active', a.dataset.tab === tab);
}

// Renders the page the hash names from the latest state.
function render() {
  if (leave) leave();
  leave = null;
  const route = parseHash();
  if (!route) {
    location.hash = '#/';
    return;
  }
  setTab(route.tab);
  if (!model) {
    mount(view, lastError ? alert(lastError) : h('p', {class: 'text-muted'}, 'Loading\u2026'));
    return;
  }
  const banner = lastError ? alert(lastError + ' (showing the last state read)', 'warning')
                           : null;
  const page = h('div');
  mount(view, banner, page);
  leave = route.page.render(page, {model, params: route.params, query: route.query,
                                   history}) || null;
}

// A standby shows where it sends the browser, then goes to /master/redirect (a 307 to the
// leader), as Mesos' UI does.
function redirectToLeader(state) {
  const banner = document.getElementById('standby');
  let left = 3;
  const tick = () => {
    mount(banner, alert(`This master is not the leader (the leader is ${state.leader}). ` +
                        `Redirecting in ${left} second${left === 1 ? '' : 's'}\u2026`,
                        'warning'));
    if (left-- <= 0) window.location = '/master/redirect';
    else setTimeout(tick, 1000);
  };
  tick();
}

async function poll() {
  let state;
  try {
    state = await getJSON('master/state.json');
  } catch (e) {
    lastError = 'Failed to reach the master: ' + e.message;
    render();
    setTimeout(poll, 2000);
    return;
  }
  lastError = null;
  if (state.leader && state.leader !== state.pid) {
    redirectToLeader(state);
    return; // stop polling: this page is about to leave
  }
  model = derive(state);
  history.add(model);
  document.getElementById('cluster').textContent = state.cluster || '';
  // Keep the user's selection: tables are rebuilt on every update.
  if (!String(window.getSelection()).length) render();
  setTimeout(poll, pollInterval((state.slaves || []).length));
}

window.addEventListener('hashchange', render);
render();
poll();
