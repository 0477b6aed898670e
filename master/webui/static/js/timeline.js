// timeline.js - a task's messages, as `mesos-inspect --follow-task` lists them, read from the
// flight recorders (/__recorder__) of the master (same origin) and of the task's slave
// (another origin: ?jsonp=). The events naming the task in their tags (or its executor, in
// its framework), and one step of cause and effect around them by trace context, are put
// together by span (the send in one process, the receipt or the drop in another): one row per
// message, ordered by time with a message after its cause, dropped and resent ones marked.
// Each read asks only for the events after the last one seen; a recorder's recent events are
// kept here to find causes in, and the task's own for as long as the page is open.

import {h, mount, alert, getJSON, jsonp, pidHost} from './util.js';

const NO_SPAN = '0000000000000000';
const shortName = (name) => name.replace(/^mesos\.internal\./, '');

// One recorder: how to read it, what it has answered so far.
class Recorder {
  constructor(name, read) {
    this.name = name;          // "master" or "slave <host:port>"
    this.read = read;          // since -> promise of the /__recorder__ answer
    this.since = 0;            // the last seq seen
    this.window = [];          // its recent events (at most what it holds itself)
    this.wrapped = false;      // it had overwritten events before the first answer
    this.missed = 0;           // events overwritten between two of our reads
    this.capacity = 0;
    this.overwritten = 0;      // its count of overwritten events at the last read
    this.error = null;
  }

  // Reads the events since the last read; `missed` counts those lost in between.
  async refresh() {
    let r;
    try {
      r = await this.read(this.since);
    } catch (e) {
      this.error = e.message;
      return;
    }
    this.error = null;
    const events = Array.isArray(r.events) ? r.events : [];
    const first = this.since === 0, overwritten = r.overwritten || 0;
    this.capacity = (r.capacity || 0) * (r.loops || 1);
    if (first) {
      this.wrapped = overwritten > 0;
    } else if (overwritten > this.overwritten && events.length &&
               events[0].seq > this.since + 1) {
      this.missed += events[0].seq - this.since - 1;
    }
    this.overwritten = overwritten;
    for (const e of events) e.recorder = this.name;
    this.window = this.window.concat(events);
    if (this.window.length > this.capacity) this.window = this.window.slice(-this.capacity);
    if (events.length) this.since = Math.max(this.since, events[events.length - 1].seq);
  }
}

const tagged = (e, key, value) => ((e.tags || {})[key] || []).includes(value);
const tagValues = (hop, key) => hop.events.flatMap((e) => (e.tags || {})[key] || []);
const hopTagged = (hop, key, value) => hop.events.some((e) => tagged(e, key, value));
// Names another task and not this one.
const otherTask = (hop, task) => tagValues(hop, 'task').length > 0 && !hopTagged(hop, 'task', task);

// Events -> one hop per span: {span, parent, name, from, to, time, sent, received, dropped}.
function hops(events) {
  const bySpan = new Map();
  for (const e of events) {
    if (!e.span || e.span === NO_SPAN) continue;
    let hop = bySpan.get(e.span);
    if (!hop) bySpan.set(e.span, hop = {span: e.span, parent: e.parent, events: []});
    hop.events.push(e);
    const slot = e.kind === 'send' ? 'sent' : e.kind === 'receive' ? 'received' : 'dropped';
    hop[slot] ||= e;
  }
  for (const hop of bySpan.values()) {
    const e = hop.sent || hop.received || hop.dropped;
    Object.assign(hop, {name: e.name, from: e.from || '(anonymous)', to: e.to, time: e.time});
  }
  return bySpan;
}

// The hops of the task: those naming it, those naming its executor in its framework, and
// what caused one of those or was caused by one directly (unless it names another task).
function select(bySpan, task) {
  const all = [...bySpan.values()];
  const core = new Set(all.filter((x) => hopTagged(x, 'task', task)));
  const fws = new Set([...core].flatMap((x) => tagValues(x, 'framework')));
  const exs = new Set([...core].flatMap((x) => tagValues(x, 'executor')));
  for (const x of all)
    if (!otherTask(x, task) && tagValues(x, 'executor').some((v) => exs.has(v)) &&
        tagValues(x, 'framework').some((v) => fws.has(v)))
      core.add(x);
  const chosen = new Set(core);
  for (const x of all) {
    const cause = x.parent && x.parent !== NO_SPAN ? bySpan.get(x.parent) : null;
    if (!cause || otherTask(x, task) || otherTask(cause, task)) continue;
    if (core.has(x)) chosen.add(cause);
    if (core.has(cause)) chosen.add(x);
  }
  return [...chosen];
}

// Orders the rows by time, each after its cause even when the clocks of the master and the
// slave disagree, and marks those that repeat an earlier one: the same message between the
// same actors sent again from the same context (a retry) or with the same update UUID.
function order(rows, bySpan) {
  for (let round = 0; round < rows.length; round++) {
    let changed = false;
    for (const r of rows) {
      const c = bySpan.get(r.parent);
      if (c && rows.includes(c) && r.time <= c.time) {
        r.time = c.time + 1e-7;
        changed = true;
      }
    }
    if (!changed) break;
  }
  rows.sort((a, b) => a.time - b.time);
  rows.forEach((r, i) => {
    r.n = i + 1;
    const uuid = tagValues(r, 'uuid')[0];
    const first = rows.slice(0, i).find((o) => o.name === r.name && o.from === r.from &&
      o.to === r.to && ((r.parent && r.parent !== NO_SPAN && o.parent === r.parent) ||
                        (uuid && tagValues(o, 'uuid')[0] === uuid)));
    r.resentOf = first ? first.n : null;
  });
  return rows;
}

// The task's timeline from the recorders' events (and those kept from earlier reads):
// {rows, kept: the events of the rows}.
export function messages(recorders, task, kept = []) {
  const seen = new Set();
  const events = kept.concat(...recorders.map((r) => r.window)).filter((e) => {
    const key = e.recorder + '/' + e.seq;
    return seen.has(key) ? false : (seen.add(key), true);
  });
  const bySpan = hops(events);
  const rows = order(select(bySpan, task.id), bySpan);
  return {rows, kept: rows.flatMap((r) => r.events)};
}

// What to say about recorders that no longer hold all of the task's events: those that had
// overwritten events before the first read and hold no record of the master's RunTaskMessage
// (the first message of every task), and those that overwrote events between two reads.
export function gaps(recorders, rows) {
  const launch = rows.find((r) => shortName(r.name) === 'RunTaskMessage' &&
                                  r.from.startsWith('master@'));
  const notes = [];
  for (const r of recorders) {
    if (!r.error && !r.capacity)
      notes.push(`The ${r.name}'s recorder is off (LIBPROCESS_RECORDER_EVENTS=0).`);
    else if (r.wrapped && !(launch && launch.events.some((e) => e.recorder === r.name)))
      notes.push(`The ${r.name}'s recorder no longer holds the task's early events: it ` +
                 `keeps about the last ${r.capacity} messages and had overwritten older ones ` +
                 'when this page first read it.');
    if (r.missed)
      notes.push(`The ${r.name}'s recorder overwrote ${r.missed} events between two reads ` +
                 'of this page: some of the task\'s messages may be missing.');
  }
  return notes;
}

const clock = (secs) => new Date(secs * 1000).toISOString().slice(11, 23);

function note(r) {
  const out = [];
  if (r.dropped) out.push(h('span', {class: 'badge bg-danger me-1'},
                            'dropped: ' + (r.dropped.reason || 'unknown')));
  if (r.resentOf) out.push(h('span', {class: 'badge bg-warning text-dark me-1'},
                             `resent (first #${r.resentOf})`));
  if (r.sent && r.received) out.push(h('span', {class: 'text-muted'},
    `transit ${((r.received.time - r.sent.time) * 1000).toFixed(3)} ms`));
  return out;
}

function row(r, t0) {
  return h('tr', {class: r.dropped ? 'm-dropped' : r.resentOf ? 'm-resent' : null,
                  title: `trace ${(r.sent || r.received || r.dropped).trace} span ${r.span}`,
                  'data-name': shortName(r.name)},
    h('td', null, r.n), h('td', null, clock(r.time)),
    h('td', {class: 'text-muted text-end'}, `+${((r.time - t0) * 1000).toFixed(1)} ms`),
    h('td', null, h('code', null, r.from)), h('td', null, '\u2192'),
    h('td', null, h('code', null, r.to)), h('td', {title: r.name}, shortName(r.name)),
    h('td', null, note(r)));
}

function tableOf(rows) {
  if (!rows.length)
    return h('p', {class: 'text-muted'}, 'No message about this task in the recorders read.');
  return h('div', {class: 'table-responsive'},
    h('table', {class: 'table table-sm table-striped m-timeline'},
      h('thead', null, h('tr', null, ['#', 'Time (UTC)', '', 'From', '', 'To', 'Message', '']
        .map((x) => h('th', null, x)))),
      h('tbody', null, rows.map((r) => row(r, rows[0].time)))));
}

// The open task's timeline, so that the page's re-renders (on every read of the master's
// state) read on from where the last one stopped; one read of the recorders at a time.
let open = null;
const REFRESH_MS = 2000;

function recordersFor(slave) {
  const list = [new Recorder('master', (since) => getJSON('__recorder__?since=' + since))];
  if (slave) {
    const {host} = pidHost(slave.pid, slave.hostname);
    list.push(new Recorder('slave ' + host,
                           (since) => jsonp(`http://${host}/__recorder__?since=${since}`)));
  }
  return list;
}

// Shows the timeline of task (state.json's) in el, refreshed every REFRESH_MS until the
// returned function is called.
export function timeline(el, task, slave) {
  const key = task.framework_id + '/' + task.id;
  if (!open || open.key !== key)
    open = {key, recorders: recordersFor(slave), kept: [], rows: null, reading: null};
  const tl = open;
  let timer = null, left = false;
  const show = () => {
    const errors = tl.recorders.filter((r) => r.error)
      .map((r) => alert(`Failed to read the ${r.name}'s recorder: ${r.error}`, 'warning'));
    const notes = tl.rows ? gaps(tl.recorders, tl.rows).map((n) => alert(n, 'info'))
                          : [];
    mount(el, h('h5', null, 'Messages'), errors, notes, tl.rows ? tableOf(tl.rows)
          : h('p', {class: 'text-muted'}, 'Reading the recorders\u2026'));
  };
  const read = async () => {
    await Promise.all(tl.recorders.map((r) => r.refresh()));
    const m = messages(tl.recorders, task, tl.kept);
    tl.kept = m.kept;
    tl.rows = m.rows;
  };
  const tick = async () => {
    tl.reading ||= read().finally(() => { tl.reading = null; });
    await tl.reading;
    if (left) return;
    show();
    timer = setTimeout(tick, REFRESH_MS);
  };
  show();
  tick();
  return () => {
    left = true;
    clearTimeout(timer);
  };
}
