#!/usr/bin/env node
// webui.js - drives Debian's headless chromium (through playwright-core) over the web UI of a
// live cluster and checks what a person would see. Started by tests/integration/test_webui.c:
//
//   node webui.js --master=127.0.0.1:5050 --task=ID --out=DIR
//     every page loads with no console error and no request leaving loopback; Home, the
//     framework's page and the executor's page show the running task; the task's page lists
//     its messages from the master's and the slave's recorders (RunTaskMessage master ->
//     slave, StatusUpdateMessage), reading them again while open; the sandbox lists stdout,
//     and the viewer opened on it shows the task's output growing; a screenshot of each page
//     is kept in DIR.
//   node webui.js --master=127.0.0.1:5050 --wrapped=ID --out=DIR
//     the task's page says that the master's recorder no longer holds the task's early events.
//   node webui.js --standby=127.0.0.1:5052 --leader=127.0.0.1:5050 --out=DIR
//     the standby's UI sends the browser to the leader's.
//
// Prints "ok - ..." per check; exits 1 at the first failed one ("not ok - ..." and why).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const {chromium} = require('playwright-core');

const args = Object.fromEntries(process.argv.slice(2).map((a) => {
  const m = a.match(/^--([^=]+)=(.*)$/);
  return m ? [m[1], m[2]] : [a, true];
}));
const OUT = args.out || '.';
const TIMEOUT = 20000;

const problems = []; // console errors, page errors, requests that left loopback

function loopback(url) {
  if (/^(data|blob|about|chrome-error):/.test(url)) return true;
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
}

function ok(what) {
  console.log('ok - ' + what);
}

function fail(what, why) {
  console.log('not ok - ' + what + (why ? ': ' + why : ''));
  throw new Error(what);
}

function watch(page) {
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error on ${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
}

function checkClean(what) {
  if (problems.length) fail(what + ' with no console error and no request leaving loopback',
                            problems.join('; '));
  ok(what + ': no console error, no request leaving loopback');
}

async function shot(page, name) {
  await page.screenshot({path: path.join(OUT, name + '.png'), fullPage: true});
}

async function visit(page, url, name, expectText, selector = '#view') {
  await page.goto(url);
  try {
    await page.locator(selector).getByText(expectText, {exact: false}).first()
      .waitFor({timeout: TIMEOUT});
  } catch (e) {
    await shot(page, name + '-failed');
    fail(`${name} shows '${expectText}'`, e.message.split('\n')[0]);
  }
  await shot(page, name);
  checkClean(`${name} (${url}) shows '${expectText}'`);
}

async function getJSON(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return r.json();
}

// The output the viewer shows now: the highest "line N" in it.
async function lastLine(popup) {
  const text = await popup.locator('#data').textContent();
  const nums = [...text.matchAll(/line (\d+)/g)].map((m) => +m[1]);
  return nums.length ? Math.max(...nums) : -1;
}

// The task's page (reached from its ID on the executor's page) lists its messages from both
// recorders, one row per message, and reads them again while it is open.
async function messages(context, page, base, task, slave) {
  const reads = {master: 0, slave: 0};
  const slaveHost = `${slave.hostname}:${slave.pid.split(':').pop()}`;
  let bothRead;
  const both = new Promise((resolve) => { bothRead = resolve; });
  const count = (r) => {
    const u = new URL(r.url());
    if (u.pathname !== '/__recorder__' || !/^[1-9]/.test(u.searchParams.get('since'))) return;
    if (u.host === new URL(base).host) reads.master++;
    if (u.host === slaveHost) reads.slave++;
    if (reads.master && reads.slave) bothRead();
  };
  context.on('request', count);
  await page.locator(`#slave a[href$="/tasks/${encodeURIComponent(task.id)}"]`).first().click();
  const rows = page.locator('#messages table.m-timeline tbody tr');
  const row = (name) => page.locator(`#messages tr[data-name="${name}"]`).first();
  try {
    await row('RunTaskMessage').waitFor({timeout: TIMEOUT});
    await row('StatusUpdateMessage').waitFor({timeout: TIMEOUT});
  } catch (e) {
    await shot(page, 'task-failed');
    fail("the task's page lists its RunTaskMessage and a StatusUpdateMessage",
         e.message.split('\n')[0]);
  }
  const texts = await rows.evaluateAll((trs) => trs.map((tr) =>
    [...tr.cells].map((td) => td.textContent).join(' ')));
  const run = texts.find((t) => /\bmaster@\S+ \u2192 slave\(\d+\)@\S+ RunTaskMessage\b/.test(t));
  if (!run) fail('a RunTaskMessage goes from the master to the slave', texts.join('; '));
  const updates = texts.filter((t) => /\bStatusUpdateMessage\b/.test(t)).length;
  let timer;
  await Promise.race([both, new Promise((resolve) => { timer = setTimeout(resolve, TIMEOUT); })]);
  clearTimeout(timer);
  context.off('request', count);
  if (!(reads.master && reads.slave))
    fail("the task's page reads both recorders again while open",
         `master ${reads.master}, slave ${reads.slave}`);
  await shot(page, 'task-messages');
  checkClean(`the task's page lists ${texts.length} messages (${run.replace(/\s+/g, ' ')}; ` +
             `${updates} StatusUpdateMessage) and read the master's recorder again ` +
             `${reads.master} and the slave's ${reads.slave} times`);

  if (await page.locator('#messages').getByText('no longer holds').count())
    fail('no notice of lost early events while both recorders hold the task\'s launch');
}

// With a master whose recorder had already overwritten the task's RunTaskMessage when the
// page opened, the task's page says so, and still lists the launch from the slave's recorder.
async function wrapped(context, master, taskId) {
  const {fw} = await findTask(master, taskId);
  const page = await context.newPage();
  watch(page);
  await visit(page, `http://${master}/#/frameworks/${fw.id}/tasks/${taskId}`, 'task-wrapped',
              "The master's recorder no longer holds the task's early events", '#messages');
  await page.locator('#messages tr[data-name="RunTaskMessage"]').first()
    .waitFor({timeout: TIMEOUT});
  checkClean("the task's page says the master's recorder lost the task's early events " +
             "and lists the RunTaskMessage the slave's recorder holds");
}

// The master's state, the framework of task taskId and the task.
async function findTask(master, taskId) {
  const state = await getJSON(`http://${master}/master/state.json`);
  const fw = state.frameworks.find((f) => f.tasks.some((t) => t.id === taskId));
  if (!fw) fail('the master lists task ' + taskId);
  return {state, fw, task: fw.tasks.find((t) => t.id === taskId)};
}

async function pages(context, master, taskId) {
  const {state, fw, task} = await findTask(master, taskId);
  const slave = state.slaves.find((s) => s.id === task.slave_id);
  const base = `http://${master}/`;
  const exec = `#/slaves/${slave.id}/frameworks/${fw.id}/executors/${task.executor_id || task.id}`;
  const page = await context.newPage();
  watch(page);

  await visit(page, base, 'home', taskId);
  await page.locator('#chart-cpus').waitFor({timeout: TIMEOUT});
  const stamp = page.locator('#summary time').first();
  const before = await stamp.textContent();
  await stamp.click();
  const after = await stamp.textContent();
  if (before === after || !/^\d{4}-\d\d-\d\dT/.test(before.match(/ago|now/) ? after : before))
    fail('a timestamp switches between relative and absolute time on click',
         `${before} -> ${after}`);
  ok(`a timestamp switches between relative and absolute time on click (${before} -> ${after})`);
  await stamp.click();

  await visit(page, base + '#/frameworks', 'frameworks', fw.name);
  await visit(page, base + `#/frameworks/${fw.id}`, 'framework', taskId);
  await visit(page, base + '#/slaves', 'slaves', slave.hostname);
  await visit(page, base + `#/slaves/${slave.id}`, 'slave', fw.name, '#slave');
  await visit(page, base + `#/slaves/${slave.id}/frameworks/${fw.id}`, 'slave-framework',
              task.executor_id || task.id, '#slave');
  await visit(page, base + exec, 'executor', 'RUNNING', '#slave');
  await messages(context, page, base, task, slave);
  await visit(page, base + '#/offers', 'offers', 'Offers');

  // The sandbox: the executor's browse route finds the directory and lists its files.
  await visit(page, base + exec + '/browse', 'sandbox', 'stdout', '#browse');
  if (!/browse\?path=/.test(page.url())) fail('the sandbox route lands on the executor directory');
  ok('the sandbox route lands on ' + decodeURIComponent(page.url().split('path=')[1]));

  const [popup] = await Promise.all([context.waitForEvent('page'),
                                     page.locator('#listing a[data-file="stdout"]').click()]);
  watch(popup);
  await popup.waitForLoadState();
  await popup.locator('#data').getByText('line', {exact: false}).first()
    .waitFor({timeout: TIMEOUT});
  const first = await lastLine(popup);
  await popup.waitForFunction((n) => {
    const nums = [...document.getElementById('data').textContent.matchAll(/line (\d+)/g)];
    return nums.some((m) => +m[1] >= n);
  }, first + 3, {timeout: TIMEOUT});
  const later = await lastLine(popup);
  await shot(popup, 'stdout-viewer');
  if (!(later > first)) fail('the viewer follows stdout as it grows', `${first} -> ${later}`);
  checkClean(`the stdout viewer follows the file as it grows (line ${first} -> line ${later})`);
  await popup.close();

  // The LOG links follow the daemons' logs through their /files: the slave's (it runs with
  // --log_dir) and the master's /master/log (the test master runs with --external_log_file).
  await visit(page, base + `#/slaves/${slave.id}`, 'slave', fw.name, '#slave');
  await followLogLink(context, page, '#slave', 'slave');
  await visit(page, base, 'home', taskId);
  await followLogLink(context, page, '#summary', 'master');

  // The viewer reads only from this master and its slaves: a crafted link naming another
  // host is refused before any request goes there.
  await page.goto(base + 'static/pailer.html?host=192.0.2.1:80&path=/etc/passwd');
  await page.locator('#indicator').getByText('refused').waitFor({timeout: TIMEOUT});
  checkClean('the viewer refuses a host that is not the master or one of its slaves');
}

// Clicks the LOG link inside `container` and waits for log lines in the viewer it opens.
async function followLogLink(context, page, container, daemon) {
  const [log] = await Promise.all([context.waitForEvent('page'),
                                   page.locator(`${container} a.m-log-link`).click()]);
  watch(log);
  try {
    await log.waitForFunction(() => /^[IWE]\d{4} \d\d:\d\d/m.test(
      document.getElementById('data').textContent), null, {timeout: TIMEOUT});
  } catch (e) {
    fail(`the ${daemon}'s LOG link shows its log`, e.message.split('\n')[0]);
  }
  await shot(log, `${daemon}-log`);
  checkClean(`the ${daemon}'s LOG link shows the ${daemon}'s log`);
}

async function standby(context, standbyAddr, leader) {
  const page = await context.newPage();
  watch(page);
  await page.goto(`http://${standbyAddr}/`);
  await page.locator('#standby').getByText('not the leader').waitFor({timeout: TIMEOUT});
  await shot(page, 'standby');
  try {
    await page.waitForURL((u) => u.host === leader, {timeout: TIMEOUT});
    await page.locator('#view #summary').waitFor({timeout: TIMEOUT});
  } catch (e) {
    fail(`the standby ${standbyAddr} sends the browser to the leader ${leader}`,
         'at ' + page.url());
  }
  await shot(page, 'standby-redirected');
  checkClean(`the standby ${standbyAddr} sent the browser to the leader ${page.url()}`);
}

async function main() {
  fs.mkdirSync(OUT, {recursive: true});
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mesos-webui-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: args.chromium || '/usr/bin/chromium',
    headless: true,
    viewport: {width: 1400, height: 900},
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context.on('request', (r) => {
    if (!loopback(r.url())) problems.push('request left loopback: ' + r.url());
  });
  try {
    if (args.standby) await standby(context, args.standby, args.leader);
    else if (args.wrapped) await wrapped(context, args.master, args.wrapped);
    else await pages(context, args.master, args.task);
  } finally {
    await context.close();
    fs.rmSync(profile, {recursive: true, force: true});
  }
}

main().then(() => process.exit(0), (e) => {
  if (!/^not ok/.test(String(e.message))) console.log('not ok - ' + (e.stack || e));
  process.exit(1);
});
