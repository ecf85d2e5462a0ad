// A Lifeline hub client written from docs/protocol.md alone, with Node's `ws` package.
// Usage: node peer.mjs <ws-base-url> <key>
// Publishes 60 entries over /v1/ingest, subscribes over /v1/stream, disconnects after 25 entries, resumes with
// `after` and prints one JSON line: {"acks":[...],"first":[ids],"resumed":[ids],"hello":{...},"gaps":n}.
import WebSocket from 'ws';

const [base, key] = process.argv.slice(2);
const protocols = ['lifeline.v1', `lifeline.key.${key}`];

function open(path) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base}${path}`, protocols);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}


async function publish() {
  const ws = await open('/v1/ingest?clientId=node-peer');
  if (ws.protocol !== 'lifeline.v1') throw new Error(`subprotocol ${ws.protocol}`);
  const acks = [];
  const done = new Promise((resolve, reject) => {
    ws.on('message', (data, isBinary) => {
      const m = JSON.parse(data.toString());
      if (m.type !== 'ack') return reject(new Error(`unexpected ${data}`));
      acks.push(m);
      if (acks.length === 3) resolve();
    });
  });
  for (let b = 0; b < 3; b++) {
    const entries = [];
    for (let i = 0; i < 20; i++) {
      const n = b * 20 + i + 1;
      entries.push({ level: n % 2 ? 'warn' : 'info', source: 'node', message: `node ${n}`, props: { n } });
    }
    ws.send(JSON.stringify({ type: 'publish', ref: `b${b}`, entries }));
  }
  await done;
  ws.close(1000);
  return acks;
}

// Subscribes after `after`; resolves with the messages once `stop(ids)` says so, then closes. The listener is attached
// before the socket opens: `ws` may emit the first messages in the same tick as 'open'.
function subscribe(after, stop) {
  const ws = new WebSocket(`${base}/v1/stream?after=${after}&clientId=node-peer`, protocols);
  const messages = [];
  const ids = [];
  return new Promise((resolve, reject) => {
    let done = false;
    ws.on('message', (data, isBinary) => {
      if (isBinary) return reject(new Error('binary frame'));
      const m = JSON.parse(data.toString());
      messages.push(m);
      if (m.type === 'entries') for (const e of m.entries) ids.push(e.id);
      if (!done && stop(ids)) {
        done = true;
        ws.close(1000);
        resolve({ messages, ids });
      }
    });
    ws.once('error', reject);
    ws.once('close', (code, reason) => {
      if (!done) reject(new Error(`stream closed early: ${code} ${reason} after ${JSON.stringify(messages).slice(0, 300)}`));
    });
  });
}

const acks = await publish();
const first = await subscribe(0, ids => ids.length >= 25);
const kept = first.ids.slice(0, 25);
const resumed = await subscribe(kept[kept.length - 1], ids => ids.length > 0 && ids[ids.length - 1] >= 60);
console.log(JSON.stringify({
  acks,
  hello: first.messages[0],
  first: kept,
  resumed: resumed.ids,
  resumedTypes: resumed.messages.map(m => m.type),
}));
