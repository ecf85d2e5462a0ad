// The dashboard's shared state and constants: every module reads and writes this one object (one page, one thread).

export const LEVELS = ['trace', 'debug', 'information', 'warning', 'error', 'critical'];
export const COLOURS = ['#a3abb5', '#b8c0ca', '#6fd08f', '#f0c65a', '#ff8a8a', '#ff4d4d'];
export const ROW = 20;                 // px per row (CSS --row): rows are one line, so the list is virtualised by arithmetic
export const OVERSCAN = 10;            // rows rendered beyond the viewport on each side
export const MAX_ROWS = 150000;        // entries kept in the list (oldest dropped beyond it)
export const PAGE = 500;               // entries per history page
export const VOLUME_SECONDS = 300;     // the volume chart's span (and how far back the page loads on open)
export const BACKLOG_IDS = 20000;      // at most this many ids back on open, whatever the span
export const SAMPLES = 120;            // ingest chart points (one per second)
export const $ = id => document.getElementById(id);

export const state = {
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
  renderTimes: [],              // ms spent drawing the list, per frame (the last 1,000; reported by the tests)
  firstRowsAt: null,            // performance.now() when the first rows were drawn (reported by the tests)
  copied: null,
  detailEntry: null,            // the entry the detail panel shows
  filterError: null,
};
window.lifelineDashboard = state;

export const pad = (n, w = 2) => String(n).padStart(w, '0');
