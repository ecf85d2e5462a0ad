// Charts with axes: entries per second by level (from the entries the page holds), and the hub's ingest rate.
import { $, COLOURS, LEVELS, SAMPLES, VOLUME_SECONDS, pad, state } from './state.js';
import { headers, hubUrl } from './hub.js';

export function countVolume(entry) {
  const second = Math.floor(Date.parse(entry.ts) / 1000);
  if (!(second > Date.now() / 1000 - VOLUME_SECONDS - 5)) return;
  let counts = state.volume.get(second);
  if (!counts) state.volume.set(second, counts = new Array(LEVELS.length).fill(0));
  counts[LEVELS.indexOf(entry.level)]++;
}

export function axes(g, width, height, left, bottom, max, unit) {
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

export function formatCount(v) {
  return v >= 10000 ? Math.round(v / 1000) + 'k' : v >= 1000 ? (v / 1000).toFixed(1) + 'k' : String(Math.round(v * 10) / 10);
}

export function prepare(canvas) {
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
export function drawVolume() {
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
export function figure(stats, paths) {
  for (const path of paths) {
    let value = stats;
    for (const part of path.split('.')) value = value == null ? undefined : value[part];
    if (typeof value === 'number') return value;
    if (Array.isArray(value)) return value.length;
  }
  return null;
}

export async function pollStats() {
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

export function drawIngest(series) {
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
