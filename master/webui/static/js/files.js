// files.js - reading files that masters and slaves serve through /files: the pailer (a
// window that follows a file as it grows, pailer.html) and the LOG links.

import {h, basename} from './util.js';

export function openPailer(host, path, title = basename(path)) {
  const params = new URLSearchParams({host, path, title});
  window.open('static/pailer.html?' + params, '_blank', 'width=700,height=700');
}

// The LOG link of a master or a slave: follows its log (`path`, attached to its /files when
// it logs to a file) in the pailer, or says how to enable that.
export function logLink(host, path, title, enabled) {
  const note = h('span', {class: 'small text-muted d-block'});
  return h('p', null, h('a', {href: '', class: 'm-log-link', onclick: (e) => {
    e.preventDefault();
    if (enabled) openPailer(host, path, title);
    else note.textContent = 'Logging to a file is not enabled: set --log_dir or ' +
                            '--external_log_file to read the log here.';
  }}, 'LOG'), note);
}
