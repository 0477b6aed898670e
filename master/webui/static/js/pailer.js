// pailer.js - PAging and taILing a file (Mesos' pailer): shows the end of a file read with
// /files/read.json?path=&offset=&length= (from a slave with ?jsonp=, or this master), follows
// it as it grows, and pages earlier data in when scrolled to the top. Query parameters:
// host (host:port serving /files), path, title.

import {jsonp, getJSON, pidHost} from './util.js';

const PAGE = 16 * 4096;          // bytes asked for at a time (the slave caps a read at 16 pages)
const TRUNCATE = 1024 * 1024;    // characters kept on screen; older ones are dropped
const POLL_MS = 1000;

const q = new URLSearchParams(location.search);
const host = q.get('host'), path = q.get('path');
const data = document.getElementById('data'), indicator = document.getElementById('indicator');
document.title = `${q.get('title') || path} (${host})`;
document.getElementById('title').textContent = `${path} on ${host}`;

let start = 0, end = 0, following = true;

function read(offset, length) {
  const url = `http://${host}/files/read.json?path=${encodeURIComponent(path)}` +
              `&offset=${offset}` + (length === undefined ? '' : `&length=${length}`);
  return jsonp(url);
}

function atBottom() {
  return window.innerHeight + window.scrollY >= document.body.scrollHeight - 4;
}

async function tail() {
  try {
    const r = await read(end, PAGE);
    indicator.textContent = '';
    if (r.data.length) {
      const stick = following && atBottom();
      data.append(r.data);
      end = r.offset + r.data.length;
      if (data.textContent.length > TRUNCATE) {
        const text = data.textContent;
        data.textContent = text.slice(text.length - TRUNCATE);
        start = end - TRUNCATE;
      }
      if (stick) window.scrollTo(0, document.body.scrollHeight);
    } else if (r.offset < end) { // the file was truncated or replaced: start over
      data.textContent = '';
      start = end = 0;
    }
    setTimeout(tail, r.data.length === PAGE ? 0 : POLL_MS);
  } catch (e) {
    indicator.textContent = '(failed to read: retrying)';
    setTimeout(tail, POLL_MS);
  }
}

async function page() {
  if (start <= 0) return;
  const from = Math.max(0, start - PAGE);
  const r = await read(from, start - from);
  const before = document.body.scrollHeight;
  data.prepend(r.data);
  start = from;
  window.scrollTo(0, document.body.scrollHeight - before);
}

window.addEventListener('scroll', () => {
  following = atBottom();
  if (window.scrollY === 0) page().catch(() => {});
});

// Scripts are loaded from `host` (JSONP): only this master and its slaves may be read, so a
// crafted link cannot make this page run another server's script.
async function hostAllowed() {
  if (host === location.host) return true;
  const state = await getJSON('../master/state.json');
  return (state.slaves || []).some((s) => pidHost(s.pid, s.hostname).host === host);
}

async function init() {
  indicator.textContent = '(loading)';
  try {
    if (!(await hostAllowed())) {
      indicator.textContent = `(refused: ${host} is neither this master nor one of its slaves)`;
      return;
    }
    const r = await read(-1);
    start = end = Math.max(0, r.offset - PAGE);
    tail();
  } catch (e) {
    indicator.textContent = '(failed to open the file: retrying)';
    setTimeout(init, POLL_MS);
  }
}

init();
