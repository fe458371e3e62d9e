// Flowlane monitor dashboard: speaks the monitor's JSON protocol (version 1) over /ws. Dependency-free.
import { formatMs, GraphView } from './graph.js';

const $ = (sel) => document.querySelector(sel);
const state = {
  runs: new Map(), // executionId -> summary
  selected: new URLSearchParams(location.search).get('run') ?? undefined,
  description: undefined,
  nodes: new Map(), // nodeId -> { status, attempts, durationMs, error, fallbackUsed, cacheHit }
  report: undefined,
  alerts: [],
  log: [],
};
const MAX_LOG = 400;
const graph = new GraphView($('#graph'), showNode);
window.__flowlane = { renders: 0, lastRenderMs: undefined, protocol: undefined };

/* ───────────── Connection ───────────── */

function tokenFromPage() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromHash) {
    sessionStorage.setItem('flowlane-monitor-token', fromHash);
    history.replaceState(null, '', location.pathname + location.search); // keep the token out of the address bar
    return fromHash;
  }
  return sessionStorage.getItem('flowlane-monitor-token') ?? undefined;
}

let ws;
function connect(token) {
  const url = new URL('/ws', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  if (token) url.searchParams.set('token', token);
  setConn('connecting', 'connecting…');
  let opened = false;
  ws = new WebSocket(url);
  ws.onopen = () => {
    opened = true;
    setConn('open', 'live');
    $('#login').hidden = true;
    send({ type: 'subscribe', all: true });
    if (state.selected) send({ type: 'subscribe', executionId: state.selected });
  };
  ws.onmessage = (m) => onMessage(JSON.parse(m.data));
  ws.onclose = (e) => {
    setConn('closed', e.code === 4008 ? 'disconnected: too slow' : 'disconnected');
    if (!opened) {
      // Refused before the upgrade (401/403): ask for a token.
      sessionStorage.removeItem('flowlane-monitor-token');
      $('#login').hidden = false;
      $('#login-error').textContent = token ? 'refused: check the token' : '';
      return;
    }
    setTimeout(() => connect(token), 2000);
  };
}
const send = (m) => ws?.readyState === WebSocket.OPEN && ws.send(JSON.stringify(m));
function setConn(s, text) {
  $('#conn').dataset.state = s;
  $('#conn').textContent = text;
}
$('#login').addEventListener('submit', (e) => {
  e.preventDefault();
  const t = $('#token').value;
  sessionStorage.setItem('flowlane-monitor-token', t);
  connect(t);
});

/* ───────────── Messages ───────────── */

function onMessage(m) {
  switch (m.type) {
    case 'hello':
      window.__flowlane.protocol = m.version;
      break;
    case 'runs':
      for (const r of m.runs) state.runs.set(r.executionId, r);
      renderRuns();
      break;
    case 'history':
      if (m.executionId !== state.selected) break;
      if (m.run) state.runs.set(m.executionId, m.run);
      loadRun(m.description, m.events);
      renderRuns();
      break;
    case 'event':
      onEvent(m.event, m.description);
      break;
    case 'report':
      state.report = m.report;
      renderReport();
      break;
    case 'alerts':
      state.alerts = m.alerts;
      renderAlerts();
      break;
    case 'error':
      addLog({ type: 'error', timestamp: Date.now(), message: `${m.code}: ${m.message}` });
      break;
  }
}

function onEvent(e, description) {
  trackRun(e);
  if (e.executionId === state.selected) {
    if (e.type === 'workflow.started') loadRun(description, []);
    applyNode(e);
    addLog(e);
  } else if (state.selected === undefined) addLog(e);
  scheduleRuns();
}

/** Keeps the run list's summaries up to date from the event stream. */
function trackRun(e) {
  let r = state.runs.get(e.executionId);
  if (e.type === 'workflow.started') {
    r = {
      executionId: e.executionId,
      workflow: e.workflow,
      status: 'running',
      startedAt: e.timestamp,
      nodeCount: e.nodeCount,
      settledNodes: 0,
      failedNodes: 0,
    };
    state.runs.set(e.executionId, r);
    return;
  }
  if (r === undefined) return;
  if (e.type === 'workflow.completed' || e.type === 'workflow.failed' || e.type === 'workflow.cancelled') {
    r.status = e.type === 'workflow.completed' ? 'success' : e.type === 'workflow.failed' ? 'failed' : 'cancelled';
    r.durationMs = e.durationMs;
    r.endedAt = e.timestamp;
  } else if (['node.completed', 'node.failed', 'node.skipped', 'node.cancelled'].includes(e.type)) {
    r.settledNodes++;
    if (e.type === 'node.failed') r.failedNodes++;
  }
}

function loadRun(description, events) {
  const t0 = performance.now();
  state.description = description ?? state.description;
  state.nodes.clear();
  state.log = [];
  graph.reset();
  if (description)
    for (const n of description.nodes)
      state.nodes.set(n.id, { status: n.standby ? 'skipped' : 'pending', attempts: 0 });
  for (const e of events) {
    trackRun(e);
    applyNode(e, true);
    addLog(e, true);
  }
  for (const [id, s] of state.nodes) graph.update(id, s);
  const drawn = graph.draw(state.description, $('#collapse').checked);
  renderLog();
  const run = state.runs.get(state.selected);
  $('#run-title').textContent = run ? `${run.workflow} · ${run.executionId}` : `run ${state.selected}`;
  window.__flowlane.renders++;
  window.__flowlane.lastRenderMs = performance.now() - t0;
  $('#graph').dataset.rendered = String(drawn);
}

function applyNode(e, quiet) {
  if (!('nodeId' in e) || e.nodeId === undefined) return;
  let s = state.nodes.get(e.nodeId);
  if (s === undefined) state.nodes.set(e.nodeId, (s = { status: 'pending', attempts: 0 }));
  switch (e.type) {
    case 'node.started':
      s.status = 'running';
      s.attempts = Math.max(s.attempts, e.attempt);
      break;
    case 'node.retrying':
      s.status = 'retrying';
      s.error = e.error?.message;
      break;
    case 'node.completed':
      s.status = 'success';
      s.durationMs = e.durationMs;
      s.attempts = Math.max(s.attempts, e.attempt);
      if (e.fallbackUsed) s.fallbackUsed = e.fallbackUsed;
      break;
    case 'node.failed':
      s.status = 'failed';
      s.durationMs = e.durationMs;
      s.error = e.error?.message;
      s.attempts = Math.max(s.attempts, e.attempt);
      break;
    case 'node.timed-out':
      s.error = `timed out after ${e.timeoutMs} ms`;
      break;
    case 'node.skipped':
      s.status = 'skipped';
      break;
    case 'node.cancelled':
      s.status = 'cancelled';
      s.durationMs = e.durationMs;
      break;
    case 'node.fell-back':
      s.fallbackUsed = e.fallbackId;
      s.error = e.error?.message;
      break;
    case 'node.cache-hit':
      s.cacheHit = true;
      break;
    default:
      return;
  }
  if (!quiet) graph.update(e.nodeId, s);
}

/* ───────────── Rendering ───────────── */

let runsFrame = 0;
const scheduleRuns = () => {
  if (runsFrame === 0)
    runsFrame = requestAnimationFrame(() => {
      runsFrame = 0;
      renderRuns();
    });
};

function renderRuns() {
  const wf = $('#filter-workflow').value;
  const st = $('#filter-status').value;
  const workflows = new Set([...state.runs.values()].map((r) => r.workflow));
  const select = $('#filter-workflow');
  const known = new Set([...select.options].map((o) => o.value));
  for (const w of [...workflows].sort()) if (!known.has(w)) select.append(new Option(w, w));
  const rows = [...state.runs.values()]
    .filter((r) => (!wf || r.workflow === wf) && (!st || r.status === st))
    .sort((a, b) => b.startedAt - a.startedAt)
    .slice(0, 300)
    .map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.id = r.executionId;
      tr.dataset.status = r.status;
      if (r.executionId === state.selected) tr.className = 'selected';
      const cells = [
        r.workflow,
        r.status,
        `${r.settledNodes}/${r.nodeCount}${r.failedNodes ? ` (${r.failedNodes}✗)` : ''}`,
        r.durationMs === undefined ? '…' : formatMs(r.durationMs),
        new Date(r.startedAt).toLocaleTimeString(),
      ];
      cells.forEach((text, i) => {
        const td = document.createElement('td');
        td.textContent = text;
        if (i === 1) td.className = `status-${r.status}`;
        tr.append(td);
      });
      tr.addEventListener('click', () => selectRun(r.executionId));
      return tr;
    });
  $('#runs tbody').replaceChildren(...rows);
}
$('#filter-workflow').addEventListener('change', renderRuns);
$('#filter-status').addEventListener('change', renderRuns);

function selectRun(id) {
  if (state.selected === id) return;
  if (state.selected) send({ type: 'unsubscribe', executionId: state.selected });
  state.selected = id;
  state.description = undefined;
  history.replaceState(null, '', `?run=${encodeURIComponent(id)}`);
  send({ type: 'subscribe', executionId: id });
  renderRuns();
}

function showNode(id) {
  const box = $('#node-details');
  if (id === undefined) return void (box.hidden = true);
  const s = id.startsWith('group:') ? { group: id.slice(6) } : state.nodes.get(id);
  box.textContent = `${id}\n${JSON.stringify(s ?? {}, null, 2)}`;
  box.hidden = false;
}

function renderReport() {
  const r = state.report;
  if (!r) return;
  const dl = (title, entries) => {
    const h = document.createElement('h3');
    h.textContent = title;
    const d = document.createElement('dl');
    for (const [k, v, key] of entries) {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = String(v);
      dd.dataset.k = key;
      d.append(dt, dd);
    }
    return [h, d];
  };
  const dur = (s) => (s.count === 0 ? '–' : `${formatMs(s.avgMs)} / ${formatMs(s.maxMs)}`);
  $('#report').replaceChildren(
    ...dl(
      'Runs',
      Object.entries(r.runs).map(([k, v]) => [k, v, `runs.${k}`]),
    ),
    ...dl(
      'Nodes',
      Object.entries(r.nodes).map(([k, v]) => [k, v, `nodes.${k}`]),
    ),
    ...dl(
      'By executor',
      Object.entries(r.byExecutor).flatMap(([ex, by]) =>
        Object.entries(by).map(([k, v]) => [`${ex} · ${k}`, v, `executor.${ex}.${k}`]),
      ),
    ),
    ...dl('Durations (avg / max)', [
      ['runs', dur(r.runDurations), 'runDurations'],
      ['nodes', dur(r.nodeDurations), 'nodeDurations'],
    ]),
  );
  state.alerts = r.alerts;
  renderAlerts();
}

function renderAlerts() {
  const items = state.alerts.map((a) => {
    const li = document.createElement('li');
    li.dataset.id = a.id;
    li.textContent = `${a.severity ? `[${a.severity}] ` : ''}${a.message}`;
    return li;
  });
  if (items.length === 0) {
    const li = document.createElement('li');
    li.className = 'none';
    li.textContent = 'none';
    items.push(li);
  }
  $('#alerts').replaceChildren(...items);
}

function describe(e) {
  const node = e.nodeId ? ` ${e.nodeId}` : '';
  const extra = e.error
    ? ` — ${e.error.message}`
    : e.message
      ? ` — ${e.message}`
      : e.durationMs !== undefined
        ? ` (${formatMs(e.durationMs)})`
        : '';
  return `${new Date(e.timestamp).toLocaleTimeString()} ${e.type}${node}${e.attempt > 1 ? ` #${e.attempt}` : ''}${extra}`;
}
function addLog(e, quiet) {
  state.log.push(e);
  if (state.log.length > MAX_LOG) state.log.splice(0, state.log.length - MAX_LOG);
  if (!quiet) renderLogSoon();
}
let logFrame = 0;
const renderLogSoon = () => {
  if (logFrame === 0)
    logFrame = requestAnimationFrame(() => {
      logFrame = 0;
      renderLog();
    });
};
function renderLog() {
  const items = state.log
    .slice(-MAX_LOG)
    .reverse()
    .map((e) => {
      const li = document.createElement('li');
      li.textContent = describe(e);
      if (e.type.endsWith('failed') || e.type === 'error') li.className = 'failed';
      return li;
    });
  $('#log').replaceChildren(...items);
}

$('#zoom-in').addEventListener('click', () => graph.zoom(1.25));
$('#zoom-out').addEventListener('click', () => graph.zoom(0.8));
$('#zoom-fit').addEventListener('click', () => graph.fit());
$('#collapse').addEventListener('change', () => graph.draw(state.description, $('#collapse').checked));

const token = tokenFromPage();
connect(token);
