// model.js - the master's state.json turned into what the pages show, as the Mesos 0.22 UI
// computes it: maps of slaves, frameworks and offers by ID, active and completed tasks (with
// start and finish times from their statuses), total/used/offered/idle CPUs and memory, each
// framework's share of the cluster ("Max Share") and the count of tasks in each state; and
// finding a framework or an executor in a slave's state.json.

export const TASK_STATES = ['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED',
                            'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'TASK_ERROR'];

const res = (r, name) => (r && +r[name]) || 0;

// A command task has an empty executor ID in the master; its executor on the slave is
// named after the task (MESOS-527).
function taskMetadata(task) {
  task.executor_id = task.executor_id || task.id;
  const st = task.statuses || [];
  if (st.length) {
    task.start_time = st[0].timestamp;
    task.finish_time = st[st.length - 1].timestamp;
  }
  return task;
}

export function derive(state) {
  const m = {
    state, slaves: {}, frameworks: {}, completed_frameworks: {}, offers: {},
    active_tasks: [], completed_tasks: [], counts: {},
    total_cpus: 0, total_mem: 0, used_cpus: 0, used_mem: 0, offered_cpus: 0, offered_mem: 0,
  };
  for (const s of state.slaves || []) {
    m.slaves[s.id] = s;
    m.total_cpus += res(s.resources, 'cpus');
    m.total_mem += res(s.resources, 'mem');
  }
  for (const f of state.frameworks || []) {
    m.frameworks[f.id] = f;
    for (const o of f.offers || []) {
      m.offers[o.id] = o;
      m.offered_cpus += res(o.resources, 'cpus');
      m.offered_mem += res(o.resources, 'mem');
      o.framework_name = f.name;
      o.hostname = m.slaves[o.slave_id] ? m.slaves[o.slave_id].hostname : '';
    }
    m.used_cpus += res(f.resources, 'cpus');
    m.used_mem += res(f.resources, 'mem');
    (f.tasks || []).forEach(taskMetadata);
    (f.completed_tasks || []).forEach(taskMetadata);
    m.active_tasks.push(...(f.tasks || []));
    m.completed_tasks.push(...(f.completed_tasks || []));
  }
  for (const f of state.completed_frameworks || []) {
    m.completed_frameworks[f.id] = f;
    (f.completed_tasks || []).forEach(taskMetadata);
    (f.tasks || []).forEach(taskMetadata);
  }
  // A framework's resources include what it has been offered (Mesos 0.22).
  m.used_cpus = Math.max(0, m.used_cpus - m.offered_cpus);
  m.used_mem = Math.max(0, m.used_mem - m.offered_mem);
  m.idle_cpus = Math.max(0, m.total_cpus - m.offered_cpus - m.used_cpus);
  m.idle_mem = Math.max(0, m.total_mem - m.offered_mem - m.used_mem);
  for (const f of Object.values(m.frameworks)) {
    const cpus = m.total_cpus > 0 ? res(f.resources, 'cpus') / m.total_cpus : 0;
    const mem = m.total_mem > 0 ? res(f.resources, 'mem') / m.total_mem : 0;
    f.max_share = Math.max(cpus, mem);
  }
  for (const s of TASK_STATES) m.counts[s] = 0;
  for (const t of m.active_tasks.concat(m.completed_tasks)) m.counts[t.state] =
    (m.counts[t.state] || 0) + 1;
  return m;
}

// The number of tasks the Home page shows for a state: the master's own counter when
// state.json has one (Mesos 0.22's staged_tasks, finished_tasks ...), else those it lists.
export function taskCount(m, key, taskState) {
  const v = m.state[key];
  return typeof v === 'number' ? v : m.counts[taskState] || 0;
}

// Finds a task by framework and ID among active and completed ones.
export function findTask(m, frameworkId, taskId) {
  const f = m.frameworks[frameworkId] || m.completed_frameworks[frameworkId];
  if (!f) return null;
  return (f.tasks || []).concat(f.completed_tasks || []).find((t) => t.id === taskId) || null;
}

// A framework in a slave's state, active or completed; null if none.
export function findFramework(st, fid) {
  const match = (x) => x.id === fid;
  return st.frameworks.find(match) || (st.completed_frameworks || []).find(match) || null;
}

// An executor of a framework in a slave's state, running or completed; null if none.
export function findExecutor(f, eid) {
  const match = (x) => x.id === eid;
  return (f.executors || []).find(match) || (f.completed_executors || []).find(match) || null;
}
