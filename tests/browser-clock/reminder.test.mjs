// The reminder journey in Chromium, on its organization's own demo clock:
// a reminder reaches the outbox at 09:00 in the customer's zone, its Pay
// now button opens the invoice on a phone, paying it stops the next step,
// and the preferences page stops reminders.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { BASE, MAIL, SHOTS, must, useBrowser, phone, checkPage, waitForMail } from '../browser/support.mjs';

const OPERATOR = must('SETTLE_OPERATOR_TOKEN');

useBrowser();

async function call(method, url, token, body) {
  const r = await fetch(url, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await r.json();
  assert.ok(r.ok, `${method} ${url}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

/** The operator's endpoints for one organization's demo clock. */
let ORG = null;
const operator = (method, path, body) =>
  method === 'GET'
    ? call(method, `${BASE}/api/v1/operator/${path}?organization_id=${ORG}`, OPERATOR)
    : call(method, `${BASE}/api/v1/operator/${path}`, OPERATOR, { ...body, organization_id: ORG });

/** Runs the cron and waits for the queue to send what it planned. */
async function cron() {
  await operator('POST', 'cron', {});
  const deadline = Date.now() + 60000;
  while ((await operator('GET', 'clock')).pending_emails > 0) {
    assert.ok(Date.now() < deadline, 'emails still pending');
    await new Promise((res) => setTimeout(res, 200));
  }
}

test('a reminder arrives at nine, its Pay now button pays the invoice, and the next step never comes', async () => {
  const created = await call('POST', `${BASE}/api/v1/organizations`, OPERATOR, {
    name: `Reminder Co ${Date.now()}`,
    branding: { display_name: 'Harbour Tools', primary_color: '#9a3412', support_email: 'accounts@harbour.example' },
  });
  const key = created.api_key;
  ORG = created.organization.id;
  const api = (method, path, body) => call(method, `${BASE}/api/v1${path}`, key, body);
  await api('PATCH', '/organization', {
    reminders: { window_start: '09:00', window_end: '17:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'], monthly_statement: false },
  });
  // Next Monday 06:00 UTC: before 09:00 in Lisbon (UTC+0 in winter, +1 in
  // summer); the cron then runs hourly until after it.
  const now = new Date((await operator('GET', 'clock')).now);
  const monday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1, 6, 0, 0));
  while (monday.getUTCDay() !== 1) monday.setUTCDate(monday.getUTCDate() + 1);
  await operator('POST', 'clock', { set: monday.toISOString() });
  const email = `nadia-${Date.now()}@example.pt`;
  const customer = await api('POST', '/customers', { name: 'Nadia Costa', email, locale: 'en-GB', time_zone: 'Europe/Lisbon' });
  const due = new Date(monday);
  due.setUTCDate(due.getUTCDate() + 3); // Thursday: the −3 step is this Monday
  const number = `HT-${Date.now()}`;
  const invoice = await api('POST', '/invoices', {
    customer_id: customer.id, number, currency: 'EUR', due_date: due.toISOString().slice(0, 10),
    lines: [{ description: 'Torque wrench set', quantity: '1', unit_amount: 12500 }],
  });
  await cron();
  for (let h = 0; h < 5; h++) {
    await operator('POST', 'clock', { advance_seconds: 3600 });
    await cron();
  }
  const mail = await waitForMail(email, (m) => m.subject.includes(number));
  const sent = (await api('GET', `/emails?customer_id=${customer.id}&kind=reminder`)).data;
  assert.equal(sent.length, 1);
  const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Lisbon', hour: '2-digit', hour12: false }).format(new Date(sent[0].sent_at));
  assert.equal(local, '09', `sent at 09:xx in Lisbon (${sent[0].sent_at})`);
  assert.ok(mail.headers['List-Unsubscribe'], 'one-click unsubscribe header');

  const { context, page } = await phone('en-GB');
  await page.goto(`${MAIL}/messages/${mail.id}`);
  await page.screenshot({ path: path.join(SHOTS, '16-reminder-email.png'), fullPage: true });
  // The message fits a phone whatever fonts the machine has: nothing to
  // scroll sideways, nothing lying over the button.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the message page is ${overflow}px wider than the phone`);
  await page.getByRole('link', { name: 'Pay now' }).click();
  await page.waitForURL(new RegExp(`/invoices/${invoice.id}$`));
  await page.getByRole('heading', { level: 1, name: `Invoice ${number}` }).waitFor();
  await checkPage(page, '17-invoice-from-reminder');
  await page.getByRole('button', { name: /^Pay €125\.00/ }).click();
  await page.waitForURL(/\/pay\/cs_test_/);
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: /^Pay \d/ }).click();
  await page.getByRole('status').filter({ hasText: 'Your payment was received' }).waitFor({ timeout: 30000 });

  // Thursday, when the next step would have gone: nothing goes.
  await operator('POST', 'clock', { advance_seconds: 3 * 86400 });
  await cron();
  const steps = (await api('GET', `/reminders?invoice_id=${invoice.id}`)).data;
  assert.deepEqual(steps.map((s) => [s.offset_days, s.status]), [[-3, 'sent']]);
  const outbox = (await (await fetch(`${MAIL}/api/messages?to=${encodeURIComponent(email)}`)).json()).data;
  assert.deepEqual(
    outbox.map((m) => m.subject.startsWith('Receipt') ? 'receipt' : 'reminder').sort(),
    ['receipt', 'reminder'],
    'one reminder, then the receipt for the payment, and nothing more',
  );

  await context.close();

  // The preferences link in the email stops reminders. The page allows no
  // script at all (its CSP), so axe needs the CSP bypassed to look at it.
  const prefs = mail.text.match(/http\S+\/u\/\S+/)[0];
  const second = await phone('en-GB', { bypassCSP: true });
  const page2 = second.page;
  await page2.goto(prefs);
  await page2.getByRole('heading', { level: 1, name: 'Reminder preferences' }).waitFor();
  await page2.getByRole('button', { name: 'Stop reminders and statements' }).click();
  await page2.getByRole('status').filter({ hasText: 'no more reminders' }).waitFor();
  await checkPage(page2, '18-reminder-preferences');
  assert.equal((await api('GET', `/customers/${customer.id}`)).reminders_opt_out, true);
  await second.context.close();
});
