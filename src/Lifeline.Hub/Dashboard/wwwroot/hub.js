// Requests to the hub and the stream's connection: reconnects resume with after=lastId (docs/protocol.md).
import { $, state } from './state.js';
import { filterQuery } from './view.js';
import { append, schedule } from './list.js';

export function headers() {
  return state.key ? { Authorization: 'Bearer ' + state.key } : {};
}

export function hubUrl(path, query, ws) {
  const url = new URL(path, location.href);
  url.search = query ? query.toString() : '';
  if (ws) url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

export async function getLogs(query) {
  const response = await fetch(hubUrl('v1/logs', query), { headers: headers(), cache: 'no-store' });
  let body = null;
  try { body = await response.json(); } catch (e) { /* no JSON body */ }
  return { ok: response.ok, status: response.status, body };
}

export const afterOf = next => Number(new URL(next, location.href).searchParams.get('after'));

// The first id whose ts is at or after `iso`, by bisection over ids (ids follow receipt, so ts nearly follow ids).
export async function idAtTime(iso, oldest, newest) {
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

export function setStatus(name, text) {
  const el = $('status');
  el.dataset.state = name;
  el.textContent = text;
}

export function notice(text) {
  const div = document.createElement('div');
  div.textContent = new Date().toLocaleTimeString() + '  ' + text;
  const box = $('notices');
  box.prepend(div);
  while (box.children.length > 3) box.lastChild.remove();
}

export function connect() {
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
export async function checkAuth() {
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

export function reconnectLater(hint, why) {
  state.attempt++;
  const backoff = Math.min(10000, 500 * 2 ** Math.min(state.attempt - 1, 10)) * (0.5 + Math.random() / 2);
  const delay = hint != null ? hint : backoff;
  setStatus('reconnecting', why + '; reconnecting in ' + (delay / 1000).toFixed(1) + ' s (attempt ' + state.attempt + ')');
  state.retryTimer = setTimeout(() => { state.reconnects++; connect(); }, delay);
}

// A hub that sends nothing for two heartbeat periods is dead: drop the socket and resume elsewhere.
export function armIdle() {
  clearTimeout(state.idleTimer);
  state.idleTimer = setTimeout(() => {
    const socket = state.socket;
    state.socket = null;
    if (socket) socket.close();
    notice('no heartbeat for ' + (2 * state.heartbeatMs / 1000) + ' s');
    reconnectLater(null, 'hub silent');
  }, 2 * state.heartbeatMs);
}

export function onMessage(message, socket) {
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

export function receive(entry) {
  state.received++;
  state.ids.push(entry.id);
  if (state.paused) {
    state.pending.push(entry);
    return;
  }
  append(entry);
}
