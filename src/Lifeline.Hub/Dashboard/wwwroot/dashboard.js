// Lifeline dashboard: a live tail over /v1/stream and live charts from /v1/stats (docs/protocol.md).
// Invariants: every entry is shown at most once and in id order (anything at or below lastId is dropped);
// a reconnect resumes with after=lastId, so a hub restart loses nothing the hub kept; while paused, entries
// are held in `pending` and all of them are shown on resume.
(() => {
  'use strict';

  const LEVELS = ['trace', 'debug', 'information', 'warning', 'error', 'critical'];
  const KEEP = 5000;          // entries kept for re-filtering
  const ROWS = 1000;          // rows in the table
  const BACKLOG = 200;        // ids of history shown when the page opens
  const SAMPLES = 120;        // chart points (one per second)
  const $ = id => document.getElementById(id);

  const params = new URLSearchParams(location.search);
  const state = {
    key: params.get('access_token') || sessionStorage.getItem('lifeline.key') || '',
    clientId: 'dashboard-' + Math.random().toString(36).slice(2, 10),
    lastId: null,             // largest id received: the resume position
    heartbeatMs: 30000,
    attempt: 0,
    socket: null,
    idleTimer: 0,
    retryTimer: 0,
    paused: false,
    entries: [],              // newest KEEP entries, for re-filtering
    pending: [],              // received while paused, shown on resume
    received: 0,
    ids: [],                  // every id received, in order (tests check for gaps and duplicates)
    reconnects: 0,
    sources: new Set(),
    filter: { level: 0, source: '', contains: '' },
    charts: { ingest: [], subscribers: [], drops: [] },
    previous: null,
  };
  window.lifelineDashboard = state;

  // ---- connection -------------------------------------------------------------------------------------------

  function setStatus(name, text) {
    const el = $('status');
    el.dataset.state = name;
    el.textContent = text;
  }

  function notice(text) {
    const div = document.createElement('div');
    div.textContent = new Date().toLocaleTimeString() + '  ' + text;
    const box = $('notices');
    box.prepend(div);
    while (box.children.length > 5) box.lastChild.remove();
  }

  function headers() {
    return state.key ? { Authorization: 'Bearer ' + state.key } : {};
  }

  function hubUrl(path, query, ws) {
    const url = new URL(path, location.href);
    url.search = query ? query.toString() : '';
    if (ws) url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.toString();
  }

  // Where to start: a few ids back from the newest, so the page opens with some history.
  async function initialPosition() {
    try {
      const response = await fetch(hubUrl('v1/logs', new URLSearchParams({ limit: '1' })), { headers: headers(), cache: 'no-store' });
      if (response.ok) {
        const body = await response.json();
        return Math.max(0, (body.lastId || 0) - BACKLOG);
      }
    } catch (e) { /* hub down: connect() reports it and retries */ }
    return null;
  }

  async function start() {
    $('key').value = state.key;
    if (state.lastId === null) state.lastId = await initialPosition();
    connect();
  }

  function connect() {
    clearTimeout(state.retryTimer);
    const query = new URLSearchParams({ clientId: state.clientId });
    if (state.key) query.set('access_token', state.key);
    if (state.lastId !== null) query.set('after', String(state.lastId));
    setStatus(state.attempt ? 'reconnecting' : 'connecting', state.attempt ? 'reconnecting (attempt ' + state.attempt + ')' : 'connecting');
    let socket;
    try {
      socket = new WebSocket(hubUrl('v1/stream', query, true));
    } catch (e) {
      setStatus('error', 'cannot connect: ' + e.message);
      return;
    }
    state.socket = socket;
    let opened = false;
    socket.onopen = () => { opened = true; armIdle(); };
    socket.onmessage = event => {
      if (state.socket !== socket) return;
      armIdle();
      onMessage(JSON.parse(event.data), socket);
    };
    socket.onclose = event => {
      if (state.socket !== socket) return;   // abandoned on purpose
      state.socket = null;
      clearTimeout(state.idleTimer);
      if (event.code === 4401 || event.code === 4403) {
        setStatus('error', event.code === 4401 ? 'key rejected' : 'key lacks the read scope');
        $('key').focus();
        return;
      }
      if (event.code >= 4400 && event.code <= 4499 || event.code === 1008) {
        setStatus('error', 'closed by the hub: ' + event.code + ' ' + event.reason);
        return;
      }
      let hint = null;
      if (event.reason && event.reason[0] === '{') {
        try { hint = JSON.parse(event.reason).retryAfterMs; } catch (e) { /* not JSON: no hint */ }
      }
      if (!opened) {
        checkAuth().then(ok => { if (ok) reconnectLater(hint, 'cannot reach the hub'); });
        return;
      }
      notice('disconnected (' + event.code + (event.reason ? ' ' + event.reason : '') + '), resuming after id ' + state.lastId);
      reconnectLater(hint, 'disconnected');
    };
  }

  // A browser cannot see a handshake's status: ask the stats endpoint whether the key is the problem.
  async function checkAuth() {
    try {
      const response = await fetch(hubUrl('v1/stats'), { headers: headers(), cache: 'no-store' });
      if (response.status === 401 || response.status === 403) {
        setStatus('error', response.status === 401 ? 'key rejected: enter a key' : 'key lacks the read scope');
        $('key').focus();
        return false;
      }
    } catch (e) { /* unreachable: retry */ }
    return true;
  }

  function reconnectLater(hint, why) {
    state.attempt++;
    const backoff = Math.min(10000, 500 * 2 ** Math.min(state.attempt - 1, 10)) * (0.5 + Math.random() / 2);
    const delay = hint != null ? hint : backoff;
    setStatus('reconnecting', why + '; reconnecting in ' + (delay / 1000).toFixed(1) + ' s (attempt ' + state.attempt + ')');
    state.retryTimer = setTimeout(() => { state.reconnects++; connect(); }, delay);
  }

  // A hub that sends nothing for two heartbeat periods is dead: drop the socket and resume elsewhere.
  function armIdle() {
    clearTimeout(state.idleTimer);
    state.idleTimer = setTimeout(() => {
      const socket = state.socket;
      state.socket = null;
      if (socket) socket.close();
      notice('no heartbeat for ' + (2 * state.heartbeatMs / 1000) + ' s');
      reconnectLater(null, 'hub silent');
    }, 2 * state.heartbeatMs);
  }

  function onMessage(message, socket) {
    switch (message.type) {
      case 'hello':
        state.heartbeatMs = message.heartbeatMs || 30000;
        if (state.lastId !== null && message.lastId < state.lastId) {
          // The hub came back with less than we saw (a memory store restarted): start from its beginning.
          notice('the hub\'s store restarted (last id ' + message.lastId + ' < ' + state.lastId + '); following from its start');
          state.lastId = 0;
          state.socket = null;
          socket.close();
          connect();
          return;
        }
        if (state.lastId === null) state.lastId = message.lastId;
        state.attempt = 0;
        setStatus('catching-up', 'catching up');
        break;
      case 'entries':
        for (const entry of message.entries) {
          if (state.lastId !== null && entry.id <= state.lastId) continue;   // never twice
          state.lastId = entry.id;
          receive(entry);
        }
        flushRows();
        break;
      case 'gap':
        notice('gap: entries ' + message.fromId + '-' + message.toId + ' are lost (' + message.reason + ')');
        state.lastId = Math.max(state.lastId || 0, message.toId);
        break;
      case 'live':
        setStatus('live', 'live');
        break;
      default:
        break;  // heartbeat, or a later protocol's message
    }
  }

  // ---- entries ----------------------------------------------------------------------------------------------

  let rowQueue = [];

  function receive(entry) {
    state.received++;
    state.ids.push(entry.id);
    if (!state.sources.has(entry.source)) addSource(entry.source);
    if (state.paused) {
      state.pending.push(entry);
      return;
    }
    keep(entry);
  }

  function keep(entry) {
    state.entries.push(entry);
    if (state.entries.length > KEEP) state.entries.splice(0, state.entries.length - KEEP);
    if (matches(entry)) rowQueue.push(entry);
  }

  function matches(entry) {
    const f = state.filter;
    return LEVELS.indexOf(entry.level) >= f.level
      && (!f.source || entry.source === f.source)
      && (!f.contains || entry.message.toLowerCase().includes(f.contains));
  }

  function row(entry) {
    const tr = document.createElement('tr');
    tr.className = entry.level;
    tr.dataset.id = entry.id;
    const cells = [String(entry.id), entry.ts ? entry.ts.replace('T', ' ').slice(0, 23) : '', entry.level, entry.source];
    for (const text of cells) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.appendChild(td);
    }
    tr.children[2].className = 'level';
    const message = document.createElement('td');
    message.className = 'message';
    message.textContent = entry.message;
    if (entry.props && Object.keys(entry.props).length) {
      const props = document.createElement('span');
      props.className = 'props';
      props.textContent = '  ' + JSON.stringify(entry.props);
      message.appendChild(props);
    }
    tr.appendChild(message);
    return tr;
  }

  function flushRows() {
    const body = $('rows');
    if (rowQueue.length) {
      // Follow the tail only when the reader is already at the bottom.
      const atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
      const fragment = document.createDocumentFragment();
      for (const entry of rowQueue.slice(-ROWS)) fragment.appendChild(row(entry));
      body.appendChild(fragment);
      rowQueue = [];
      while (body.children.length > ROWS) body.firstChild.remove();
      if (atBottom) window.scrollTo(0, document.body.scrollHeight);
    }
    $('counts').textContent = state.received + ' received, ' + body.children.length + ' shown, last id ' + (state.lastId ?? '-');
    const pending = $('pending');
    pending.hidden = !state.paused;
    pending.textContent = state.pending.length + ' new while paused';
  }

  function rerender() {
    $('rows').replaceChildren();
    rowQueue = state.entries.filter(matches);
    flushRows();
  }

  function addSource(source) {
    state.sources.add(source);
    const option = document.createElement('option');
    option.value = source;
    option.textContent = source;
    $('source').appendChild(option);
  }

  // ---- controls ---------------------------------------------------------------------------------------------

  function readFilter() {
    state.filter = {
      level: LEVELS.indexOf($('level').value),
      source: $('source').value,
      contains: $('contains').value.trim().toLowerCase(),
    };
    rerender();
  }

  $('level').addEventListener('change', readFilter);
  $('source').addEventListener('change', readFilter);
  $('contains').addEventListener('input', readFilter);
  $('pause').addEventListener('click', () => {
    state.paused = !state.paused;
    $('pause').textContent = state.paused ? 'resume' : 'pause';
    $('pause').setAttribute('aria-pressed', String(state.paused));
    if (!state.paused) {
      const held = state.pending;
      state.pending = [];
      for (const entry of held) keep(entry);
    }
    flushRows();
  });
  $('clear').addEventListener('click', () => { state.entries = []; rerender(); });
  $('key-form').addEventListener('submit', event => {
    event.preventDefault();
    state.key = $('key').value.trim();
    sessionStorage.setItem('lifeline.key', state.key);
    const socket = state.socket;
    state.socket = null;
    if (socket) socket.close();
    state.attempt = 0;
    start();
  });

  // ---- charts -----------------------------------------------------------------------------------------------

  // /v1/stats only grows (docs/hub.md); read each figure from the first of its known names.
  function figure(stats, paths) {
    for (const path of paths) {
      let value = stats;
      for (const part of path.split('.')) value = value == null ? undefined : value[part];
      if (typeof value === 'number') return value;
      if (Array.isArray(value)) return value.length;
    }
    return null;
  }

  async function pollStats() {
    try {
      const response = await fetch(hubUrl('v1/stats'), { headers: headers(), cache: 'no-store' });
      if (response.ok) {
        const stats = await response.json();
        const now = performance.now();
        let rate = figure(stats, ['ingest.perSecond', 'ingest.rate', 'ingestRate', 'ingestPerSecond', 'rates.ingest']);
        const total = figure(stats, ['ingest.total', 'ingested', 'entriesIngested', 'totals.ingested']);
        if (rate === null && total !== null && state.previous) {
          rate = Math.max(0, (total - state.previous.total) / ((now - state.previous.at) / 1000));
        }
        state.previous = { total: total || 0, at: now };
        push('ingest', rate || 0, 'ingest-value', Math.round(rate || 0));
        const subscribers = figure(stats, ['subscribers.active', 'activeSubscribers', 'subscribers.count', 'subscribers']) || 0;
        push('subscribers', subscribers, 'subscribers-value', subscribers);
        const drops = figure(stats, ['drops', 'gapEntries', 'dropped', 'overflows']) || 0;
        push('drops', drops, 'drops-value', drops);
      }
    } catch (e) { /* the connection status already says the hub is away */ }
    setTimeout(pollStats, 1000);
  }

  function push(name, value, labelId, label) {
    const series = state.charts[name];
    series.push(value);
    if (series.length > SAMPLES) series.shift();
    $(labelId).textContent = String(label);
    draw($('chart-' + name), series);
  }

  function draw(canvas, series) {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 320;
    const height = canvas.clientHeight || 90;
    if (canvas.width !== width * ratio) { canvas.width = width * ratio; canvas.height = height * ratio; }
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    const max = Math.max(1, ...series);
    g.strokeStyle = '#2a2f3a';
    g.beginPath(); g.moveTo(0, height - 0.5); g.lineTo(width, height - 0.5); g.stroke();
    g.fillStyle = '#7d8590';
    g.font = '10px sans-serif';
    g.fillText(String(Math.round(max)), 2, 10);
    if (series.length < 2) return;
    g.strokeStyle = '#4ea1ff';
    g.lineWidth = 1.5;
    g.beginPath();
    series.forEach((value, i) => {
      const x = (i / (SAMPLES - 1)) * width;
      const y = height - 2 - (value / max) * (height - 14);
      if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
    });
    g.stroke();
  }

  start();
  pollStats();
})();
