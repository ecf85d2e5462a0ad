// Views: a filter or range change validates the filter with the hub, loads history, then follows live.
// Every asynchronous load carries the view's generation; a result for an older view is dropped.
import { $, BACKLOG_IDS, PAGE, ROW, VOLUME_SECONDS, state } from './state.js';
import { filterQuery, showControls, writeUrl } from './view.js';
import { afterOf, connect, getLogs, idAtTime, notice, setStatus } from './hub.js';
import { append, jumpToLatest, openSelected, schedule } from './list.js';
import { countVolume } from './charts.js';

export function abandonSocket() {
  clearTimeout(state.retryTimer);
  clearTimeout(state.idleTimer);
  const socket = state.socket;
  state.socket = null;
  if (socket) socket.close();
}

export function setFilterError(message) {
  state.filterError = message;
  $('filter-error').textContent = message ? 'invalid filter: ' + message : '';
  $('where').setAttribute('aria-invalid', String(!!message && message.startsWith('where')));
  $('sources').setAttribute('aria-invalid', String(!!message && message.startsWith('source')));
}

// Opens the view the state describes: validates the filter with the hub, loads history, then follows (live).
export async function applyView() {
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

export function retryView(generation, why) {
  state.attempt++;
  const delay = Math.min(10000, 500 * 2 ** Math.min(state.attempt - 1, 10));
  setStatus('reconnecting', why + '; retrying in ' + (delay / 1000).toFixed(1) + ' s');
  state.retryTimer = setTimeout(() => { if (generation === state.generation) applyView(); }, delay);
}

// History: the next page after scanEnd, with the view's filter; stops at the range's end.
export async function loadNewer(generation) {
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
export async function loadOlder() {
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

export function goLive() {
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

export function showMode() {
  $('newer').hidden = !(state.mode === 'history' && state.hasNewer);
  $('live').setAttribute('aria-pressed', String(state.mode === 'live'));
  if (state.mode === 'history') setStatus('history', 'history' + (state.hasNewer ? '' : ' (end)'));
}
