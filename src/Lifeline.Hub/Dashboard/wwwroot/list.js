// The virtualised list (one-line rows of ROW px; only the rows in view are in the page), selection and detail.
import { $, MAX_ROWS, OVERSCAN, ROW, state } from './state.js';
import { formatTime, zoneName } from './time.js';
import { viewQuery, writeUrl } from './view.js';
import { getLogs } from './hub.js';
import { countVolume } from './charts.js';

export function append(entry) {
  if (!state.sources.has(entry.source)) addSource(entry.source);
  state.entries.push(entry);
  countVolume(entry);
  if (state.entries.length > MAX_ROWS) {
    const drop = state.entries.length - MAX_ROWS;
    state.entries.splice(0, drop);
    if (!state.follow) $('list').scrollTop -= drop * ROW;
  }
}

export function addSource(source) {
  state.sources.add(source);
  const option = document.createElement('option');
  option.value = source;
  $('known-sources').appendChild(option);
}

// ---- the virtualised list ---------------------------------------------------------------------------------

const pool = [];
let frame = 0;
let drawnZone = '';

export function schedule() {
  if (!frame) frame = requestAnimationFrame(render);
}

export function makeRow() {
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

export function fill(row, entry) {
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

export function render() {
  frame = 0;
  const started = performance.now();
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
  const times = state.renderTimes;   // the page's own work per frame, for the tests' report
  times.push(performance.now() - started);
  if (times.length > 1000) times.shift();
}

export function atBottom() {
  const list = $('list');
  return list.scrollTop + list.clientHeight >= list.scrollHeight - ROW * 1.5;
}

export function jumpToLatest() {
  state.follow = true;
  schedule();
}

// ---- selection and detail ---------------------------------------------------------------------------------

export function indexOfId(id) {
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

export function selectId(id) {
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

export function step(delta) {
  if (!state.entries.length) return;
  let index = state.selectedId == null ? -1 : indexOfId(state.selectedId);
  if (index < 0) index = delta > 0 ? Math.floor($('list').scrollTop / ROW) - 1 : Math.ceil(($('list').scrollTop + $('list').clientHeight) / ROW);
  index = Math.max(0, Math.min(state.entries.length - 1, index + delta));
  selectId(state.entries[index].id);
}

export function openDetail() {
  if (state.selectedId == null) return;
  state.detailOpen = true;
  const index = indexOfId(state.selectedId);
  showDetail(index >= 0 ? state.entries[index] : null);
}

export function closeDetail() {
  state.detailOpen = false;
  $('detail').hidden = true;
  state.selectedId = null;
  writeUrl();
  schedule();
  $('list').focus();
}

// A selected entry from the URL that is not in the list (filtered out, or not loaded): fetch it by id.
export async function openSelected(generation) {
  const id = state.selectedId;
  if (indexOfId(id) >= 0) { selectId(id); return; }
  const page = await getLogs(new URLSearchParams({ after: String(id - 1), limit: '1' }));
  if (generation !== state.generation || !page.ok) return;
  const entry = page.body.entries[0];
  showDetail(entry && entry.id === id ? entry : null);
}


export function showDetail(entry) {
  state.detailEntry = entry;
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

export async function copyJson() {
  if (!state.detailEntry) return;
  const text = JSON.stringify(state.detailEntry, null, 2);
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
