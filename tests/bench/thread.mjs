// One dispute thread's Durable Object under load (`cargo xtask bench
// threads`): 50 WebSockets listen to one thread while the company writes in
// it over HTTP. Two figures:
//
// - send to display: a message is sent, every socket hears "changed", and
//   a reader fetches the thread as the pages do; measured one message at a
//   time (p50, p99 over every socket's notification, and over the fetches);
// - throughput: messages sent 10 at a time, until every socket heard each.
//
// A thread takes at most 120 messages an hour (the product's limit), so the
// run uses 110 of them: 50 one at a time, 60 in the burst.

import WebSocket from 'ws';

const BASE = process.env.SETTLE_BASE_URL;
const OPERATOR = process.env.SETTLE_OPERATOR_TOKEN;
const SOCKETS = 50;
const ONE_AT_A_TIME = 50;
const BURST = 60;
const IN_FLIGHT = 10;

const made = await fetch(`${BASE}/api/v1/organizations`, {
  method: 'POST',
  headers: { Authorization: `Bearer ${OPERATOR}`, 'Content-Type': 'application/json' },
  body: JSON.stringify({ name: `Thread bench ${Date.now()}`, branding: { display_name: 'Bench', support_email: 'bench@bench.example' } }),
});
if (made.status !== 201) throw new Error(`organization: ${made.status}`);
const key = (await made.json()).api_key;
const api = async (path, body) => {
  const r = await fetch(`${BASE}/api/v1${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
};
const customer = await api('/customers', { name: 'Bench', email: `bench-${Date.now()}@example.com` });
const invoice = await api('/invoices', {
  customer_id: customer.id, number: `TB-${Date.now()}`, currency: 'EUR', due_date: '2099-01-01',
  lines: [{ description: 'Load', quantity: 1, unit_amount: 1000 }],
});
const dispute = await api(`/invoices/${invoice.id}/disputes`, { reason: 'Thread benchmark' });

// The listeners: each counts the notifications it hears, with their times.
const heard = Array.from({ length: SOCKETS }, () => []);
const wsUrl = `${BASE.replace(/^http/, 'ws')}/api/v1/disputes/${dispute.id}/live`;
const sockets = await Promise.all(heard.map((times) => new Promise((resolve, reject) => {
  const ws = new WebSocket(wsUrl, { headers: { Authorization: `Bearer ${key}` } });
  ws.on('message', (data) => {
    if (String(data).includes('changed')) times.push(performance.now());
  });
  ws.on('open', () => resolve(ws));
  ws.on('error', reject);
})));

const until = async (ready, what) => {
  const deadline = performance.now() + 30000;
  while (!ready()) {
    if (performance.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
};
const send = (text) => api(`/disputes/${dispute.id}/messages`, { body: text });
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

// One at a time: send, every socket hears it, the thread is read again.
const notify = [];
const display = [];
for (let i = 0; i < ONE_AT_A_TIME; i++) {
  const before = heard.map((h) => h.length);
  const start = performance.now();
  const text = `one ${i}`;
  await send(text);
  await until(() => heard.every((h, j) => h.length > before[j]), `message ${i} heard`);
  heard.forEach((h, j) => notify.push(h[before[j]] - start));
  const thread = await api(`/disputes/${dispute.id}`);
  if (!thread.messages.some((m) => m.body === text)) throw new Error('message missing');
  display.push(performance.now() - start);
}

// The burst: 10 in flight until 60 are sent; done when every socket heard 60 more.
const base = heard.map((h) => h.length);
const start = performance.now();
let next = 0;
await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
  while (next < BURST) {
    const i = next++;
    await send(`burst ${i}`);
  }
}));
// Notifications of messages sent together may arrive as fewer "changed"
// (each is one after a write); wait for the last write's.
await until(() => heard.every((h, j) => h.length >= base[j] + BURST), 'the burst heard');
const seconds = (performance.now() - start) / 1000;
const fanned = heard.reduce((n, h, j) => n + h.length - base[j], 0);
sockets.forEach((ws) => ws.close());

const r = (x) => Math.round(x * 10) / 10;
console.log(JSON.stringify({
  sockets: SOCKETS,
  send_to_notified_ms: { p50: r(pct(notify, 50)), p99: r(pct(notify, 99)), samples: notify.length },
  send_to_displayed_ms: { p50: r(pct(display, 50)), p99: r(pct(display, 99)), samples: display.length },
  burst: { messages: BURST, in_flight: IN_FLIGHT, seconds: r(seconds), messages_per_second: r(BURST / seconds), notifications_per_second: Math.round(fanned / seconds) },
}, null, 2));
process.exit(0);
