// Lifeline dashboard: a live tail over /v1/stream, history through GET /v1/logs, charts (docs/protocol.md).
// Invariants:
// - `state.entries` is the list: entries matching the view's filter (evaluated by the hub), strictly increasing ids.
//   Live entries are appended only above `state.lastId`, so nothing is shown twice; the stream resumes with
//   after=lastId, so returning to live from history, or reconnecting, leaves no gap at the seam.
// - Every asynchronous load carries the view's generation; a result for an older view is dropped.
// - The key is read once from the URL, kept in sessionStorage and removed from the address bar; the URL holds the
//   view (filters, range, selected entry, time zone), never the key.
(() => {
  'use strict';

  const LEVELS = ['trace', 'debug', 'information', 'warning', 'error', 'critical'];
  const COLOURS = ['#a3abb5', '#b8c0ca', '#6fd08f', '#f0c65a', '#ff8a8a', '#ff4d4d'];
  const ROW = 20;                 // px per row (CSS --row): rows are one line, so the list is virtualised by arithmetic
  const OVERSCAN = 10;            // rows rendered beyond the viewport on each side
  const MAX_ROWS = 150000;        // entries kept in the list (oldest dropped beyond it)
  const PAGE = 500;               // entries per history page
  const VOLUME_SECONDS = 300;     // the volume chart's span (and how far back the page loads on open)
  const BACKLOG_IDS = 20000;      // at most this many ids back on open, whatever the span
  const SAMPLES = 120;            // ingest chart points (one per second)
  const $ = id => document.getElementById(id);

  const state = {
    key: '',
    clientId: 'dashboard-' + Math.random().toString(36).slice(2, 10),
    generation: 0,
    mode: 'live',                 // 'live' (stream) or 'history' (GET pages, no stream)
    lastId: null,                 // largest id in the list or received: the resume position
    scanEnd: 0,                   // history: where the next page starts (the hub's `next`)
    hasNewer: false,
    hubOldest: 1,
    heartbeatMs: 30000,
    attempt: 0,
    socket: null,
    idleTimer: 0,
    retryTimer: 0,
    paused: false,
    follow: true,                 // the list is at its bottom and follows new entries
    entries: [],
    pending: [],                  // received while paused, shown on resume
    received: 0,
    ids: [],                      // every id the stream delivered, in order (tests check for gaps and duplicates)
    reconnects: 0,
    sources: new Set(),
    filter: { levels: LEVELS.slice(), sources: [], contains: '', where: [] },
    range: { fromId: null, from: null, to: null },
    selectedId: null,
    detailOpen: false,
    tz: 'local',
    volume: new Map(),            // second (epoch) -> counts per level
    charts: { ingest: [] },
    previous: null,
    firstRowsAt: null,            // performance.now() when the first rows were drawn (reported by the tests)
    copied: null,
    filterError: null,
  };
  window.lifelineDashboard = state;

  // ---- time -------------------------------------------------------------------------------------------------

  const pad = (n, w = 2) => String(n).padStart(w, '0');

  function formatTime(ts) {
    if (!ts) return '';
    const d = new Date(ts);
    if (isNaN(d)) return ts;
    if (state.tz === 'utc') return d.toISOString().slice(0, 23).replace('T', ' ');
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + pad(d.getHours()) + ':'
      + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3);
  }

  function zoneName() {
    if (state.tz === 'utc') return 'UTC';
    const offset = -new Date().getTimezoneOffset();
    const sign = offset < 0 ? '-' : '+';
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local';
    return zone + ' (UTC' + sign + pad(Math.floor(Math.abs(offset) / 60)) + ':' + pad(Math.abs(offset) % 60) + ')';
  }

  // datetime-local inputs are read and written in the shown zone.
  function parseInput(value) {
    if (!value) return null;
    const d = new Date(state.tz === 'utc' ? value + 'Z' : value);
    return isNaN(d) ? null : d.toISOString();
  }

  function toInput(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    if (state.tz === 'utc') return d.toISOString().slice(0, 19);
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  // ---- the view in the URL ----------------------------------------------------------------------------------

  function filterQuery(query) {
    const f = state.filter;
    if (f.levels.length < LEVELS.length) query.set('levels', f.levels.join(','));
    for (const source of f.sources) query.append('source', source);
    if (f.contains) query.set('contains', f.contains);
    for (const predicate of f.where) query.append('where', predicate);
    return query;
  }

  function viewQuery(extra) {
    const query = filterQuery(new URLSearchParams());
    if (state.range.fromId != null) query.set('fromId', String(state.range.fromId));
    if (state.range.from) query.set('from', state.range.from);
    if (state.range.to) query.set('to', state.range.to);
    if (state.tz === 'utc') query.set('tz', 'utc');
    for (const [name, value] of Object.entries(extra || {})) query.set(name, value);
    return query;
  }

  function writeUrl() {
    const query = viewQuery(state.selectedId != null ? { entry: String(state.selectedId) } : null);
    const search = query.toString();
    history.replaceState(null, '', location.pathname + (search ? '?' + search : ''));
  }

  function readUrl() {
    const params = new URLSearchParams(location.search);
    const fromUrl = params.get('access_token');
    if (fromUrl) sessionStorage.setItem('lifeline.key', fromUrl);
    state.key = sessionStorage.getItem('lifeline.key') || '';
    const levels = params.get('levels');
    state.filter = {
      levels: levels ? LEVELS.filter(l => levels.split(',').includes(l)) : LEVELS.slice(),
      sources: params.getAll('source'),
      contains: params.get('contains') || '',
      where: params.getAll('where'),
    };
    const fromId = params.get('fromId');
    state.range = { fromId: fromId && /^\d+$/.test(fromId) ? Number(fromId) : null, from: params.get('from'), to: params.get('to') };
    const entry = params.get('entry');
    state.selectedId = entry && /^\d+$/.test(entry) ? Number(entry) : null;
    state.detailOpen = state.selectedId != null;
    state.tz = params.get('tz') === 'utc' ? 'utc' : 'local';
    writeUrl();   // the key leaves the address bar (and history) here
    showControls();
  }

  function showControls() {
    for (const box of document.querySelectorAll('#levels input')) box.checked = state.filter.levels.includes(box.value);
    $('sources').value = state.filter.sources.join(', ');
    $('contains').value = state.filter.contains;
    $('where').value = state.filter.where.join(' and ');
    $('from-id').value = state.range.fromId ?? '';
    $('from-time').value = toInput(state.range.from);
    $('to-time').value = toInput(state.range.to);
    $('key').value = state.key;
    showZone();
  }

  // Predicates are joined with "and" in the box; an "and" inside a quoted string is text.
  function splitWhere(text) {
    const parts = [];
    let current = '';
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (quoted) {
        current += c;
        if (c === '\\') current += text[++i] || '';
        else if (c === '"') quoted = false;
        continue;
      }
      if (c === '"') quoted = true;
      const and = /^\s+and\s+/i.exec(text.slice(i, i + 8));
      if (and) { parts.push(current); current = ''; i += and[0].length - 1; continue; }
      current += c;
    }
    parts.push(current);
    return parts.map(p => p.trim()).filter(p => p);
  }

  function readControls() {
    state.filter = {
      levels: [...document.querySelectorAll('#levels input')].filter(b => b.checked).map(b => b.value),
      sources: $('sources').value.split(',').map(s => s.trim()).filter(s => s),
      contains: $('contains').value.trim(),
      where: splitWhere($('where').value),
    };
  }

  // ---- hub requests -----------------------------------------------------------------------------------------

  function headers() {
    return state.key ? { Authorization: 'Bearer ' + state.key } : {};
  }

  function hubUrl(path, query, ws) {
    const url = new URL(path, location.href);
    url.search = query ? query.toString() : '';
    if (ws) url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.toString();
  }

  async function getLogs(query) {
    const response = await fetch(hubUrl('v1/logs', query), { headers: headers(), cache: 'no-store' });
    let body = null;
    try { body = await response.json(); } catch (e) { /* no JSON body */ }
    return { ok: response.ok, status: response.status, body };
  }

  const afterOf = next => Number(new URL(next, location.href).searchParams.get('after'));

  // The first id whose ts is at or after `iso`, by bisection over ids (ids follow receipt, so ts nearly follow ids).
  async function idAtTime(iso, oldest, newest) {
    const target = Date.parse(iso);
    let lo = Math.max(1, oldest);
    let hi = newest + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const page = await getLogs(new URLSearchParams({ after: String(mid - 1), limit: '1' }));
      const entry = page.ok && page.body.entries[0];
      if (!entry) { hi = mid; continue; }
      if (Date.parse(entry.ts) < target) lo = entry.id + 1; else hi = Math.min(mid, entry.id);
    }
    return lo;
  }

  // ---- views ------------------------------------------------------------------------------------------------

  function abandonSocket() {
    clearTimeout(state.retryTimer);
    clearTimeout(state.idleTimer);
    const socket = state.socket;
    state.socket = null;
    if (socket) socket.close();
  }

  function setFilterError(message) {
    state.filterError = message;
    $('filter-error').textContent = message ? 'invalid filter: ' + message : '';
    $('where').setAttribute('aria-invalid', String(!!message && message.startsWith('where')));
    $('sources').setAttribute('aria-invalid', String(!!message && message.startsWith('source')));
  }

  // Opens the view the state describes: validates the filter with the hub, loads history, then follows (live).
  async function applyView() {
    const generation = ++state.generation;
    abandonSocket();
    state.entries = [];
    state.pending = [];
    state.lastId = null;
    state.volume.clear();
    state.follow = true;
    state.hasNewer = false;
    writeUrl();
    schedule();
    let probe;
    try {
      probe = await getLogs(filterQuery(new URLSearchParams({ limit: '1' })));
    } catch (e) {
      if (generation === state.generation) retryView(generation, 'cannot reach the hub');
      return;
    }
    if (generation !== state.generation) return;
    if (probe.status === 400) {
      setFilterError(probe.body ? probe.body.message : 'rejected by the hub');
      setStatus('error', 'invalid filter');
      return;
    }
    if (probe.status === 401 || probe.status === 403) {
      setStatus('error', probe.status === 401 ? 'key rejected: enter a key' : 'key lacks the read scope');
      $('key').focus();
      return;
    }
    if (!probe.ok) { retryView(generation, 'hub answered ' + probe.status); return; }
    setFilterError(null);
    state.attempt = 0;
    const newest = probe.body.lastId;
    state.hubOldest = probe.body.oldestId;
    if (state.range.fromId != null || state.range.from) {
      state.mode = 'history';
      const start = state.range.fromId != null ? state.range.fromId : await idAtTime(state.range.from, state.hubOldest, newest);
      if (generation !== state.generation) return;
      state.scanEnd = Math.max(0, start - 1);
      state.lastId = state.scanEnd;
      setStatus('history', 'history');
      await loadNewer(generation);
    } else {
      state.mode = 'live';
      // Open with the last minutes (the volume chart's span), at most BACKLOG_IDS ids back: the stream catches up.
      const since = await idAtTime(new Date(Date.now() - VOLUME_SECONDS * 1000).toISOString(), Math.max(state.hubOldest, newest - BACKLOG_IDS), newest);
      if (generation !== state.generation) return;
      state.lastId = since - 1;
      connect();
    }
    if (state.selectedId != null) openSelected(generation);
    showMode();
  }

  function retryView(generation, why) {
    state.attempt++;
    const delay = Math.min(10000, 500 * 2 ** Math.min(state.attempt - 1, 10));
    setStatus('reconnecting', why + '; retrying in ' + (delay / 1000).toFixed(1) + ' s');
    state.retryTimer = setTimeout(() => { if (generation === state.generation) applyView(); }, delay);
  }

  // History: the next page after scanEnd, with the view's filter; stops at the range's end.
  async function loadNewer(generation) {
    const page = await getLogs(filterQuery(new URLSearchParams({ after: String(state.scanEnd), limit: String(PAGE) })));
    if (generation !== state.generation || !page.ok) return;
    const to = state.range.to ? Date.parse(state.range.to) : Infinity;
    let ended = false;
    for (const entry of page.body.entries) {
      if (Date.parse(entry.ts) > to) { ended = true; break; }
      if (entry.id <= state.lastId) continue;
      append(entry);
      state.lastId = entry.id;
    }
    state.scanEnd = page.body.next ? afterOf(page.body.next) : page.body.lastId;
    // The ids between the last entry shown and scanEnd were examined and do not match: live may resume after them.
    if (!ended) state.lastId = Math.max(state.lastId, state.scanEnd);
    state.hasNewer = !ended && !!page.body.next;
    showMode();
    schedule();
  }

  // Older entries with the same filter, before the first in the list: the hub pages forward, so read windows of ids
  // going back (growing) until a page is filled or the store's oldest entry is reached.
  async function loadOlder() {
    const generation = state.generation;
    let before = state.entries.length ? state.entries[0].id : (state.lastId || 0) + 1;
    let span = 1000;
    const older = [];
    while (older.length < PAGE && before > state.hubOldest) {
      const from = Math.max(state.hubOldest - 1, before - 1 - span);
      const chunk = [];
      let after = from;
      while (after < before - 1) {
        const page = await getLogs(filterQuery(new URLSearchParams({ after: String(after), limit: '1000' })));
        if (generation !== state.generation || !page.ok) return;
        for (const entry of page.body.entries) if (entry.id < before) chunk.push(entry);
        if (!page.body.next) break;
        after = afterOf(page.body.next);
      }
      older.unshift(...chunk);
      before = from + 1;
      span *= 4;
    }
    if (!older.length) { notice('no older entries with these filters'); return; }
    const list = $('list');
    const keep = older.slice(-Math.max(PAGE, older.length));
    state.entries.unshift(...keep);
    for (const entry of keep) countVolume(entry);
    state.follow = false;
    list.scrollTop += keep.length * ROW;   // the rows in view stay in view
    schedule();
  }

  function goLive() {
    if (state.mode === 'live') { jumpToLatest(); return; }
    state.range = { fromId: null, from: null, to: null };
    showControls();
    state.mode = 'live';
    state.hasNewer = false;
    state.follow = true;
    writeUrl();
    // lastId is the last id of the history shown: the stream resumes right after it, so the seam has no gap and
    // no duplicate.
    connect();
    showMode();
  }

  function showMode() {
    $('newer').hidden = !(state.mode === 'history' && state.hasNewer);
    $('live').setAttribute('aria-pressed', String(state.mode === 'live'));
    if (state.mode === 'history') setStatus('history', 'history' + (state.hasNewer ? '' : ' (end)'));
  }

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
    while (box.children.length > 3) box.lastChild.remove();
  }

  function connect() {
    clearTimeout(state.retryTimer);
    const generation = state.generation;
    const query = filterQuery(new URLSearchParams({ clientId: state.clientId }));
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
      if (state.socket !== socket || generation !== state.generation) return;   // abandoned on purpose
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
        schedule();
        break;
      case 'gap':
        notice('gap: entries ' + message.fromId + '-' + message.toId + ' are lost (' + message.reason + ')');
        state.lastId = Math.max(state.lastId || 0, message.toId);
        break;
      case 'live':
        setStatus(state.paused ? 'paused' : 'live', state.paused ? 'paused' : 'live');
        break;
      default:
        break;  // heartbeat, or a later protocol's message
    }
  }

  // ---- entries ----------------------------------------------------------------------------------------------

  function receive(entry) {
    state.received++;
    state.ids.push(entry.id);
    if (state.paused) {
      state.pending.push(entry);
      return;
    }
    append(entry);
  }

  function append(entry) {
    if (!state.sources.has(entry.source)) addSource(entry.source);
    state.entries.push(entry);
    countVolume(entry);
    if (state.entries.length > MAX_ROWS) {
      const drop = state.entries.length - MAX_ROWS;
      state.entries.splice(0, drop);
      if (!state.follow) $('list').scrollTop -= drop * ROW;
    }
  }

  function addSource(source) {
    state.sources.add(source);
    const option = document.createElement('option');
    option.value = source;
    $('known-sources').appendChild(option);
  }

  // ---- the virtualised list ---------------------------------------------------------------------------------

  const pool = [];
  let frame = 0;
  let drawnZone = '';

  function schedule() {
    if (!frame) frame = requestAnimationFrame(render);
  }

  function makeRow() {
    const row = document.createElement('div');
    row.setAttribute('role', 'option');
    row.className = 'row';
    for (const name of ['id', 'time', 'level', 'source', 'message']) {
      const span = document.createElement('span');
      span.className = name;
      row.appendChild(span);
    }
    const props = document.createElement('span');
    props.className = 'props';
    row.lastChild.appendChild(document.createTextNode(''));
    row.lastChild.appendChild(props);
    row.addEventListener('click', () => { selectId(Number(row.dataset.id)); openDetail(); });
    $('rows').appendChild(row);
    return row;
  }

  function fill(row, entry) {
    row.dataset.id = entry.id;
    row.id = 'row-' + entry.id;
    row.className = 'row ' + entry.level;
    const cells = row.children;
    cells[0].textContent = entry.id;
    cells[1].textContent = formatTime(entry.ts);
    cells[2].textContent = entry.level;
    cells[3].textContent = entry.source;
    cells[4].firstChild.nodeValue = entry.message;
    cells[4].lastChild.textContent = entry.props && Object.keys(entry.props).length ? '  ' + JSON.stringify(entry.props) : '';
  }

  function render() {
    frame = 0;
    const list = $('list');
    const count = state.entries.length;
    $('spacer').style.height = count * ROW + 'px';
    if (state.follow) list.scrollTop = list.scrollHeight;
    const top = list.scrollTop;
    const first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
    const last = Math.min(count, Math.ceil((top + list.clientHeight) / ROW) + OVERSCAN);
    $('rows').style.transform = 'translateY(' + first * ROW + 'px)';
    const zone = state.tz;
    for (let i = 0; i < last - first; i++) {
      const row = pool[i] || (pool[i] = makeRow());
      const entry = state.entries[first + i];
      if (row.hidden || Number(row.dataset.id) !== entry.id || drawnZone !== zone) fill(row, entry);
      row.hidden = false;
      row.setAttribute('aria-selected', String(entry.id === state.selectedId));
    }
    for (let i = Math.max(0, last - first); i < pool.length; i++) {
      const row = pool[i];
      if (row.hidden) continue;
      row.hidden = true;
      row.removeAttribute('id');   // ids stay unique: a hidden row keeps no entry's id
      row.dataset.id = '';
    }
    drawnZone = zone;
    // The active descendant must exist: a selected row scrolled out of the rendered window is not referenced.
    const selected = state.selectedId != null && document.getElementById('row-' + state.selectedId);
    if (selected && !selected.hidden) list.setAttribute('aria-activedescendant', selected.id); else list.removeAttribute('aria-activedescendant');
    list.setAttribute('aria-busy', String(count === 0));
    if (count && state.firstRowsAt === null) state.firstRowsAt = performance.now();
    $('jump').hidden = state.follow || state.mode !== 'live';
    $('counts').textContent = count + ' shown, ' + state.received + ' streamed, last id ' + (state.lastId ?? '-');
    const pending = $('pending');
    pending.hidden = !state.paused;
    pending.textContent = state.pending.length + ' new while paused';
  }

  function atBottom() {
    const list = $('list');
    return list.scrollTop + list.clientHeight >= list.scrollHeight - ROW * 1.5;
  }

  function jumpToLatest() {
    state.follow = true;
    schedule();
  }

  // ---- selection and detail ---------------------------------------------------------------------------------

  function indexOfId(id) {
    let lo = 0;
    let hi = state.entries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const value = state.entries[mid].id;
      if (value === id) return mid;
      if (value < id) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
  }

  function selectId(id) {
    state.selectedId = id;
    const index = indexOfId(id);
    const list = $('list');
    if (index >= 0) {
      const y = index * ROW;
      if (y < list.scrollTop) list.scrollTop = y;
      else if (y + ROW > list.scrollTop + list.clientHeight) list.scrollTop = y + ROW - list.clientHeight;
      state.follow = atBottom() && index === state.entries.length - 1;
    }
    writeUrl();
    if (state.detailOpen) showDetail(index >= 0 ? state.entries[index] : null);
    schedule();
  }

  function step(delta) {
    if (!state.entries.length) return;
    let index = state.selectedId == null ? -1 : indexOfId(state.selectedId);
    if (index < 0) index = delta > 0 ? Math.floor($('list').scrollTop / ROW) - 1 : Math.ceil(($('list').scrollTop + $('list').clientHeight) / ROW);
    index = Math.max(0, Math.min(state.entries.length - 1, index + delta));
    selectId(state.entries[index].id);
  }

  function openDetail() {
    if (state.selectedId == null) return;
    state.detailOpen = true;
    const index = indexOfId(state.selectedId);
    showDetail(index >= 0 ? state.entries[index] : null);
  }

  function closeDetail() {
    state.detailOpen = false;
    $('detail').hidden = true;
    state.selectedId = null;
    writeUrl();
    schedule();
    $('list').focus();
  }

  // A selected entry from the URL that is not in the list (filtered out, or not loaded): fetch it by id.
  async function openSelected(generation) {
    const id = state.selectedId;
    if (indexOfId(id) >= 0) { selectId(id); return; }
    const page = await getLogs(new URLSearchParams({ after: String(id - 1), limit: '1' }));
    if (generation !== state.generation || !page.ok) return;
    const entry = page.body.entries[0];
    showDetail(entry && entry.id === id ? entry : null);
  }

  let detailEntry = null;

  function showDetail(entry) {
    detailEntry = entry;
    const panel = $('detail');
    panel.hidden = false;
    const body = $('detail-props').tBodies[0];
    body.replaceChildren();
    $('detail-title').textContent = entry ? 'entry ' + entry.id : 'entry ' + state.selectedId + ' not found';
    $('copy').textContent = 'copy JSON';
    $('permalink').href = '?' + viewQuery({ fromId: String(state.selectedId), entry: String(state.selectedId) }).toString();
    if (!entry) return;
    const line = (name, value) => {
      const tr = body.insertRow();
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = name;
      tr.appendChild(th);
      tr.insertCell().textContent = value;
    };
    line('id', entry.id);
    line('time', formatTime(entry.ts) + ' ' + (state.tz === 'utc' ? 'UTC' : zoneName()));
    line('ts', entry.ts);
    line('level', entry.level);
    line('source', entry.source);
    line('message', entry.message);
    const walk = (prefix, value) => {
      if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length) {
        for (const [k, v] of Object.entries(value)) walk(prefix ? prefix + '.' + k : k, v);
      } else {
        line(prefix, typeof value === 'string' ? value : JSON.stringify(value));
      }
    };
    if (entry.props) for (const [k, v] of Object.entries(entry.props)) walk('props.' + k, v);
  }

  async function copyJson() {
    if (!detailEntry) return;
    const text = JSON.stringify(detailEntry, null, 2);
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {
      const area = document.createElement('textarea');
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    state.copied = text;
    $('copy').textContent = 'copied';
  }

  // ---- charts -----------------------------------------------------------------------------------------------

  function countVolume(entry) {
    const second = Math.floor(Date.parse(entry.ts) / 1000);
    if (!(second > Date.now() / 1000 - VOLUME_SECONDS - 5)) return;
    let counts = state.volume.get(second);
    if (!counts) state.volume.set(second, counts = new Array(LEVELS.length).fill(0));
    counts[LEVELS.indexOf(entry.level)]++;
  }

  function axes(g, width, height, left, bottom, max, unit) {
    g.strokeStyle = '#4a5160';
    g.fillStyle = '#9aa3ad';
    g.font = '10px sans-serif';
    g.textAlign = 'right';
    g.beginPath();
    g.moveTo(left + 0.5, 4); g.lineTo(left + 0.5, height - bottom + 0.5); g.lineTo(width, height - bottom + 0.5);
    for (const f of [0, 0.5, 1]) {
      const y = height - bottom - f * (height - bottom - 8);
      g.moveTo(left - 3, y + 0.5); g.lineTo(left, y + 0.5);
      g.fillText(formatCount(max * f) + (f === 1 ? unit : ''), left - 5, y + 3);
    }
    g.stroke();
  }

  function formatCount(v) {
    return v >= 10000 ? Math.round(v / 1000) + 'k' : v >= 1000 ? (v / 1000).toFixed(1) + 'k' : String(Math.round(v * 10) / 10);
  }

  function prepare(canvas) {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || canvas.width;
    const height = canvas.clientHeight || canvas.height;
    if (canvas.width !== width * ratio) { canvas.width = width * ratio; canvas.height = height * ratio; }
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    return [g, width, height];
  }

  // Stacked bars per second by level over the last VOLUME_SECONDS; x ticks every minute, in the shown zone.
  function drawVolume() {
    const [g, width, height] = prepare($('chart-volume'));
    const left = 40;
    const bottom = 16;
    const now = Math.floor(Date.now() / 1000);
    const start = now - VOLUME_SECONDS + 1;
    let max = 1;
    for (const [second, counts] of state.volume) {
      if (second < start - 5) { state.volume.delete(second); continue; }
      max = Math.max(max, counts.reduce((a, b) => a + b, 0));
    }
    axes(g, width, height, left, bottom, max, '/s');
    const plot = width - left - 2;
    const barWidth = plot / VOLUME_SECONDS;
    const scale = (height - bottom - 8) / max;
    for (let s = start; s <= now; s++) {
      const counts = state.volume.get(s);
      if (!counts) continue;
      const x = left + 1 + (s - start) * barWidth;
      let y = height - bottom;
      counts.forEach((n, level) => {
        if (!n) return;
        g.fillStyle = COLOURS[level];
        g.fillRect(x, y - n * scale, Math.max(1, barWidth - 0.3), n * scale);
        y -= n * scale;
      });
    }
    g.fillStyle = '#9aa3ad';
    g.textAlign = 'center';
    for (let s = start; s <= now; s++) {
      if (s % 60) continue;
      const x = left + 1 + (s - start) * barWidth;
      const d = new Date(s * 1000);
      const label = state.tz === 'utc' ? pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) : pad(d.getHours()) + ':' + pad(d.getMinutes());
      g.fillRect(x, height - bottom, 1, 3);
      g.fillText(label, x, height - 3);
    }
  }

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
        let rate = figure(stats, ['ingestRate', 'ingest.perSecond']);
        const total = figure(stats, ['ingestedTotal', 'ingest.total']);
        if (rate === null && total !== null && state.previous) {
          rate = Math.max(0, (total - state.previous.total) / ((now - state.previous.at) / 1000));
        }
        state.previous = { total: total || 0, at: now };
        const series = state.charts.ingest;
        series.push(rate || 0);
        if (series.length > SAMPLES) series.shift();
        $('ingest-value').textContent = String(Math.round(rate || 0));
        $('subscribers-value').textContent = String(figure(stats, ['subscribers', 'subscribers.active']) || 0);
        $('drops-value').textContent = String(figure(stats, ['gapEntries', 'drops']) || 0);
        drawIngest(series);
      }
    } catch (e) { /* the connection status already says the hub is away */ }
    drawVolume();
    setTimeout(pollStats, 1000);
  }

  function drawIngest(series) {
    const [g, width, height] = prepare($('chart-ingest'));
    const left = 40;
    const bottom = 16;
    const max = Math.max(1, ...series);
    axes(g, width, height, left, bottom, max, '/s');
    g.fillStyle = '#9aa3ad';
    g.textAlign = 'center';
    g.fillText('-2 min', left + 16, height - 3);
    g.fillText('now', width - 12, height - 3);
    if (series.length < 2) return;
    g.strokeStyle = '#6cb2ff';
    g.lineWidth = 1.5;
    g.beginPath();
    const offset = SAMPLES - series.length;
    series.forEach((value, i) => {
      const x = left + 1 + ((offset + i) / (SAMPLES - 1)) * (width - left - 2);
      const y = height - bottom - (value / max) * (height - bottom - 8);
      if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
    });
    g.stroke();
  }

  // ---- controls ---------------------------------------------------------------------------------------------

  function showZone() {
    const name = zoneName();
    $('tz').textContent = state.tz === 'utc' ? 'UTC' : 'local';
    $('tz').title = 'times in ' + name + '; switch to ' + (state.tz === 'utc' ? 'local time' : 'UTC');
    $('tz-label').textContent = name;
    $('volume-tz').textContent = name;
  }

  let debounce = 0;
  function filtersChanged(now) {
    clearTimeout(debounce);
    debounce = setTimeout(() => { readControls(); applyView(); }, now ? 0 : 400);
  }

  for (const box of document.querySelectorAll('#levels input')) box.addEventListener('change', () => filtersChanged(true));
  for (const id of ['sources', 'contains', 'where']) {
    $(id).addEventListener('input', () => filtersChanged(false));
    $(id).addEventListener('keydown', event => { if (event.key === 'Enter') filtersChanged(true); });
  }
  $('list').addEventListener('scroll', () => {
    const bottom = atBottom();
    if (bottom !== state.follow) state.follow = bottom;
    schedule();
  }, { passive: true });
  $('jump').addEventListener('click', () => { jumpToLatest(); $('list').focus(); });
  $('live').addEventListener('click', goLive);
  $('older').addEventListener('click', loadOlder);
  $('newer').addEventListener('click', () => loadNewer(state.generation));
  $('go').addEventListener('click', () => {
    const id = $('from-id').value.trim();
    state.range = { fromId: id ? Number(id) : null, from: id ? null : parseInput($('from-time').value), to: parseInput($('to-time').value) };
    if (state.range.fromId == null && !state.range.from) { notice('pick a start: an id or a time'); return; }
    applyView();
  });
  $('tz').addEventListener('click', () => {
    const from = parseInput($('from-time').value);
    const to = parseInput($('to-time').value);
    state.tz = state.tz === 'utc' ? 'local' : 'utc';
    $('from-time').value = toInput(from);
    $('to-time').value = toInput(to);
    showZone();
    writeUrl();
    if (state.detailOpen && detailEntry) showDetail(detailEntry);
    drawVolume();
    schedule();
  });
  $('pause').addEventListener('click', () => {
    state.paused = !state.paused;
    $('pause').textContent = state.paused ? 'resume' : 'pause';
    $('pause').setAttribute('aria-pressed', String(state.paused));
    if (!state.paused) {
      const held = state.pending;
      state.pending = [];
      for (const entry of held) append(entry);
    }
    if (state.mode === 'live' && state.socket) setStatus(state.paused ? 'paused' : 'live', state.paused ? 'paused' : 'live');
    schedule();
  });
  $('copy').addEventListener('click', copyJson);
  $('close').addEventListener('click', closeDetail);
  $('key-form').addEventListener('submit', event => {
    event.preventDefault();
    state.key = $('key').value.trim();
    sessionStorage.setItem('lifeline.key', state.key);
    state.attempt = 0;
    applyView();
  });

  document.addEventListener('keydown', event => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    const typing = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
    if (typing) {
      if (event.key === 'Escape') { target.blur(); $('list').focus(); }
      return;
    }
    if (target instanceof HTMLButtonElement && event.key === 'Enter') return;
    switch (event.key) {
      case '/': $('contains').focus(); break;
      case 'j': case 'ArrowDown': step(1); break;
      case 'k': case 'ArrowUp': step(-1); break;
      case 'Enter': case 'o': openDetail(); break;
      case 'Escape': if (state.detailOpen) closeDetail(); break;
      case 'End': jumpToLatest(); break;
      case 'Home': state.follow = false; $('list').scrollTop = 0; schedule(); break;
      default: return;
    }
    event.preventDefault();
  });

  readUrl();
  applyView();
  pollStats();
})();
