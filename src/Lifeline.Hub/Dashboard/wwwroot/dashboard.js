// Lifeline dashboard: a live tail over /v1/stream, history through GET /v1/logs, charts (docs/protocol.md).
// Invariants:
// - `state.entries` is the list: entries matching the view's filter (evaluated by the hub), strictly increasing ids.
//   Live entries are appended only above `state.lastId`, so nothing is shown twice; the stream resumes with
//   after=lastId, so returning to live from history, or reconnecting, leaves no gap at the seam.
// - Every asynchronous load carries the view's generation; a result for an older view is dropped.
// - The key is read once from the URL, kept in sessionStorage and removed from the address bar; the URL holds the
//   view (filters, range, selected entry, time zone), never the key.
// Modules: state (shared state, constants), time, view (URL and controls), hub (requests, stream), history (views),
// list (virtualised list, selection, detail), charts; this one wires the controls and the keyboard.
import { $, state } from './state.js';
import { parseInput, toInput } from './time.js';
import { readControls, readUrl, showZone, writeUrl } from './view.js';
import { notice, setStatus } from './hub.js';
import { applyView, goLive, loadNewer, loadOlder } from './history.js';
import { append, atBottom, closeDetail, copyJson, jumpToLatest, openDetail, schedule, showDetail, step } from './list.js';
import { drawVolume, pollStats } from './charts.js';

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
  if (state.detailOpen && state.detailEntry) showDetail(state.detailEntry);
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
