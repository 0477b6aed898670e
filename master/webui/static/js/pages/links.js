// links.js - the links between pages: every ID leads to its page.

import {h, truncateId} from '../util.js';

export const slaveHost = (m, id) => (m.slaves[id] ? m.slaves[id].hostname : '');

export function executorHref(t) {
  return `#/slaves/${encodeURIComponent(t.slave_id)}/frameworks/` +
         `${encodeURIComponent(t.framework_id)}/executors/${encodeURIComponent(t.executor_id)}`;
}

export const taskHref = (t) => `#/frameworks/${encodeURIComponent(t.framework_id)}/tasks/` +
                               encodeURIComponent(t.id);

// A task's ID linked to its page (its facts, status updates and messages).
export function taskLink(t) {
  return h('a', {href: taskHref(t), title: t.id}, t.id);
}

export function sandboxLink(m, t) {
  return m.slaves[t.slave_id] ? h('a', {href: executorHref(t) + '/browse'}, 'Sandbox')
                              : h('span', {class: 'text-muted'}, 'Slave offline');
}

export function frameworkLink(id, text) {
  return h('a', {href: `#/frameworks/${encodeURIComponent(id)}`, title: id},
           text || truncateId(id));
}

export function slaveLink(id, text) {
  return h('a', {href: `#/slaves/${encodeURIComponent(id)}`, title: id}, text || truncateId(id));
}
