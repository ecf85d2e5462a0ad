// Times in the zone the page shows (local or UTC), and the datetime-local inputs read and written in it.
import { pad, state } from './state.js';

export function formatTime(ts) {
  if (!ts) return '';
  const d = new Date(ts);
  if (isNaN(d)) return ts;
  if (state.tz === 'utc') return d.toISOString().slice(0, 23).replace('T', ' ');
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + pad(d.getHours()) + ':'
    + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3);
}

export function zoneName() {
  if (state.tz === 'utc') return 'UTC';
  const offset = -new Date().getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local';
  return zone + ' (UTC' + sign + pad(Math.floor(Math.abs(offset) / 60)) + ':' + pad(Math.abs(offset) % 60) + ')';
}

// datetime-local inputs are read and written in the shown zone.
export function parseInput(value) {
  if (!value) return null;
  const d = new Date(state.tz === 'utc' ? value + 'Z' : value);
  return isNaN(d) ? null : d.toISOString();
}

export function toInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (state.tz === 'utc') return d.toISOString().slice(0, 19);
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
}
