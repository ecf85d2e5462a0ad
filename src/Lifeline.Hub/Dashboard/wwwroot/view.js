// The view in the URL (filters, range, selected entry, zone; never the key) and the filter controls.
import { $, LEVELS, state } from './state.js';
import { toInput, zoneName } from './time.js';

export function filterQuery(query) {
  const f = state.filter;
  if (f.levels.length < LEVELS.length) query.set('levels', f.levels.join(','));
  for (const source of f.sources) query.append('source', source);
  if (f.contains) query.set('contains', f.contains);
  for (const predicate of f.where) query.append('where', predicate);
  return query;
}

export function viewQuery(extra) {
  const query = filterQuery(new URLSearchParams());
  if (state.range.fromId != null) query.set('fromId', String(state.range.fromId));
  if (state.range.from) query.set('from', state.range.from);
  if (state.range.to) query.set('to', state.range.to);
  if (state.tz === 'utc') query.set('tz', 'utc');
  for (const [name, value] of Object.entries(extra || {})) query.set(name, value);
  return query;
}

export function writeUrl() {
  const query = viewQuery(state.selectedId != null ? { entry: String(state.selectedId) } : null);
  const search = query.toString();
  history.replaceState(null, '', location.pathname + (search ? '?' + search : ''));
}

export function readUrl() {
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

export function showControls() {
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
export function splitWhere(text) {
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

export function readControls() {
  state.filter = {
    levels: [...document.querySelectorAll('#levels input')].filter(b => b.checked).map(b => b.value),
    sources: $('sources').value.split(',').map(s => s.trim()).filter(s => s),
    contains: $('contains').value.trim(),
    where: splitWhere($('where').value),
  };
}

export function showZone() {
  const name = zoneName();
  $('tz').textContent = state.tz === 'utc' ? 'UTC' : 'local';
  $('tz').title = 'times in ' + name + '; switch to ' + (state.tz === 'utc' ? 'local time' : 'UTC');
  $('tz-label').textContent = name;
  $('volume-tz').textContent = name;
}
