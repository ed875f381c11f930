// Plans, the billing run and outgoing webhooks in the console, on a laptop
// and a tablet, for an organization of its own: its admin adds a plan,
// a customer is subscribed through the API, the admin bills what is due
// and watches the run end; then registers a webhook endpoint (a receiver
// in this test that checks every signature and answers the first event
// with a 500), sees the failed attempt in the delivery log and resends it.
// Each page is checked with axe-core and saved as a screenshot.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import { BASE, useBrowser, checkPage, newPage, phone, openLink, signInFromOutbox, newOrganization, eventually } from './support.mjs';

const LAPTOP = { width: 1280, height: 800 };
const TABLET = { width: 820, height: 1180 };

useBrowser();

/** A receiver on 127.0.0.1 that checks `Settle-Signature` as docs/API.md
 *  says and answers 500 to the first request, 200 after. */
async function receiver() {
  const got = [];
  let secret = '';
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const parts = Object.fromEntries(String(req.headers['settle-signature'] || '').split(',').map((p) => p.split('=')));
      const expected = crypto.createHmac('sha256', secret).update(`${parts.t}.${body}`).digest('hex');
      const ok = !!parts.v1 && parts.v1.length === expected.length
        && crypto.timingSafeEqual(Buffer.from(parts.v1), Buffer.from(expected))
        && Math.abs(Date.now() / 1000 - Number(parts.t)) < 300;
      got.push({ event: JSON.parse(body), ok });
      res.writeHead(got.length === 1 ? 500 : 200).end('ok');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/settle-events`, got, setSecret: (s) => { secret = s; }, close: () => server.close() };
}

test('an admin adds a plan, bills a subscriber, and receives signed webhooks with a retry', async (t) => {
  const stamp = Date.now();
  const adminEmail = `admin-${stamp}@initech.example`;
  const { api } = await newOrganization({
    name: `Initech ${stamp}`,
    branding: { display_name: 'Initech', primary_color: '#1e3a8a', support_email: 'billing@initech.example' },
    admin: { name: 'Bill Lumbergh', email: adminEmail },
  });
  const { page } = await newPage(LAPTOP);
  await signInFromOutbox(page, adminEmail, stamp);

  // A plan, from the console.
  await page.getByRole('link', { name: 'Billing' }).click();
  await page.getByRole('heading', { level: 1, name: 'Billing' }).waitFor();
  await page.getByText('No plans yet.').waitFor();
  // An add-on, then a plan it may be taken with.
  const addOnForm = page.locator('form').filter({ has: page.getByRole('heading', { name: 'New add-on' }) });
  await addOnForm.getByLabel('Code').fill('support');
  await addOnForm.getByLabel('Name').fill('Priority support');
  await addOnForm.getByLabel('Price').fill('9,50');
  await addOnForm.getByRole('button', { name: 'Create the add-on' }).click();
  await addOnForm.getByRole('status').filter({ hasText: 'support' }).waitFor();
  const planForm = page.locator('form').filter({ has: page.getByRole('heading', { name: 'New plan' }) });
  await planForm.getByLabel('Code').fill('team');
  await planForm.getByLabel('Name').fill('Team');
  await planForm.getByLabel('Price').fill('29.00');
  await planForm.getByLabel('Tax %').fill('20');
  await planForm.getByLabel('Add-ons it may be taken with').fill('support');
  await page.getByRole('button', { name: 'Create the plan' }).click();
  await page.getByRole('row', { name: /team Team month/ }).waitFor();
  const team = (await api('/catalog/plans')).data.find((p) => p.code === 'team');
  assert.deepEqual([team.add_ons, team.tax_rate], [['support'], '20']);
  // A bad price is stopped before it is sent.
  await planForm.getByLabel('Code').fill('odd');
  await planForm.getByLabel('Name').fill('Odd');
  await planForm.getByLabel('Price').fill('twelve');
  await page.getByRole('button', { name: 'Create the plan' }).click();
  await page.getByRole('alert').filter({ hasText: 'Write the price as a number' }).waitFor();

  // A subscriber, through the API, then the run from the console.
  const customer = await api('/customers', { name: 'Milton Waddams', email: `milton-${stamp}@initech.example` });
  const sub = await api('/subscriptions', { customer_id: customer.id, plan: 'team', currency: 'EUR', quantity: 2 });
  assert.ok(sub.number.startsWith('SUB-'), JSON.stringify(sub));
  await page.getByRole('button', { name: 'Refresh' }).first().click();
  await page.getByRole('row', { name: new RegExp(sub.number) }).waitFor();
  await page.getByRole('button', { name: 'Bill what is due now' }).click();
  await eventually(async () => {
    await page.getByRole('button', { name: 'Refresh' }).first().click();
    return (await page.locator('section[aria-labelledby="runs-h"] tbody tr').first().innerText()).includes('Done');
  }, 'the billing run to end');
  const run = await page.locator('section[aria-labelledby="runs-h"] tbody tr').first().innerText();
  assert.match(run, /1 \/ 1/);
  const invoices = await api(`/invoices?customer_id=${customer.id}`);
  assert.equal(invoices.data.length, 1);
  assert.equal(invoices.data[0].number.startsWith(sub.number), true);
  await checkPage(page, '60-console-billing');

  // Webhooks: an endpoint, its secret, a 500, the log and a resend.
  const rx = await receiver();
  t.after(() => rx.close());
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
  await page.getByLabel('Endpoint address').fill(rx.url);
  await page.getByRole('button', { name: 'Add the endpoint' }).click();
  const secret = await page.locator('input.secret').inputValue();
  assert.match(secret, /^whsec_/);
  rx.setSecret(secret);
  await page.getByRole('row', { name: /127\.0\.0\.1/ }).waitFor();

  const inv = await api('/invoices', {
    customer_id: customer.id, number: `W-${stamp}`, currency: 'EUR', due_date: '2030-01-31',
    lines: [{ description: 'Stapler', quantity: '1', unit_amount: 1500 }],
  });
  await eventually(async () => rx.got.length >= 1, 'the first delivery');
  assert.equal(rx.got[0].event.type, 'invoice.created');
  assert.equal(rx.got[0].event.data.object.id, inv.id);
  assert.ok(rx.got[0].ok, 'the signature checks out');
  await eventually(async () => {
    await page.getByRole('button', { name: 'Refresh' }).click();
    return page.getByRole('cell', { name: 'Will try again' }).isVisible();
  }, 'the failed attempt in the log');
  await page.getByRole('cell', { name: 'HTTP 500' }).waitFor();
  await page.getByRole('button', { name: 'Resend invoice.created' }).click();
  await eventually(async () => rx.got.length >= 2, 'the resend');
  assert.ok(rx.got[1].ok);
  assert.equal(rx.got[1].event.id, rx.got[0].event.id, 'the same event');
  await eventually(async () => {
    await page.getByRole('button', { name: 'Refresh' }).click();
    return page.getByRole('cell', { name: 'Delivered' }).isVisible();
  }, 'delivered in the log');
  await checkPage(page, '61-console-webhooks');
  await page.setViewportSize(TABLET);
  await checkPage(page, '62-console-webhooks-tablet');
  await page.getByRole('link', { name: 'Billing' }).click();
  await page.getByRole('heading', { level: 1, name: 'Billing' }).waitFor();
  await checkPage(page, '63-console-billing-tablet');

  // Customers from a spreadsheet's CSV (a BOM, semicolons, a quoted name
  // with a line break): the check finds the two bad rows by line, nothing
  // is written; the fixed file is imported with its progress.
  await page.setViewportSize(LAPTOP);
  await page.getByRole('link', { name: 'Import' }).click();
  await page.getByRole('heading', { level: 1, name: 'Import' }).waitFor();
  const rows = ['\ufeffname;email;external_id;time_zone'];
  for (let n = 1; n <= 40; n += 1) rows.push(`"Branch ${n}\nInitech";b${n}-${stamp}@initech.example;IT-${stamp}-${n};America/Chicago`);
  const good = rows.join('\r\n');
  const bad = good.replace(`b3-${stamp}@initech.example`, 'b3-at-initech').replace(`IT-${stamp}-7;America/Chicago`, `IT-${stamp}-7;Chicago`);
  const file = (text) => ({ name: 'customers.csv', mimeType: 'text/csv', buffer: Buffer.from(text) });
  await page.getByLabel('CSV file').setInputFiles(file(bad));
  await page.getByRole('button', { name: 'Check the file' }).click();
  await page.getByRole('heading', { name: '40 rows read, 2 errors.' }).waitFor();
  // Each name spans two lines: the third row starts on line 6, the seventh on 14.
  await page.getByRole('row', { name: /^6 email/ }).waitFor();
  await page.getByRole('row', { name: /^14 time_zone/ }).waitFor();
  assert.equal((await api(`/customers?q=IT-${stamp}`)).data.length, 0, 'a check writes nothing');
  await checkPage(page, '67-console-import-errors');
  await page.getByLabel('CSV file').setInputFiles(file(good));
  await page.getByRole('button', { name: 'Check the file' }).click();
  await page.getByText('Every row is right.', { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Import 40 rows' }).click();
  await page.getByText(/40 of 40 rows written · customers Imported/).first().waitFor();
  await checkPage(page, '68-console-import-done');
  const imported = await api(`/customers?limit=100`);
  assert.ok(imported.data.some((c) => c.name === 'Branch 40\nInitech'), 'the quoted line break is kept');

  // Subscribing one of them from its account page.
  const branch = (await api(`/customers?q=b40-${stamp}%40initech.example`)).data[0];
  await page.goto(`${BASE}/console/customers/${branch.id}`);
  await page.getByRole('heading', { level: 2, name: 'Subscriptions' }).waitFor();
  await page.getByText('Subscribe to a plan').click();
  await page.getByLabel('Plan', { exact: true }).selectOption('team');
  await page.getByLabel('Quantity').fill('0');
  await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'Team may be taken from 1' }).waitFor();
  await page.getByLabel('Quantity').fill('4');
  await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
  await page.getByText(/Team × 4 · next invoice/).waitFor();
  const subs = (await api(`/subscriptions?customer_id=${branch.id}`)).data;
  assert.equal(subs.length, 1);
  assert.equal(subs[0].quantity, 4);

  // An endpoint for one event type only.
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await page.getByLabel('Endpoint address').fill('https://hooks.initech.example/settle');
  await page.getByRole('checkbox', { name: 'subscription.changed' }).check();
  await page.getByRole('button', { name: 'Add the endpoint' }).click();
  await page.getByRole('row', { name: /hooks\.initech\.example/ }).waitFor();
  const endpoints = (await api('/webhook-endpoints')).data;
  const only = endpoints.find((e) => e.url === 'https://hooks.initech.example/settle');
  assert.deepEqual(only.events, ['subscription.changed']);
});

test('a customer raises seats in the portal, sees the proration in money and is invoiced for it', async () => {
  const stamp = Date.now();
  const { api } = await newOrganization({
    name: `Vandelay ${stamp}`,
    branding: { display_name: 'Vandelay', primary_color: '#7c2d12', support_email: 'billing@vandelay.example' },
    admin: { name: 'Art Vandelay', email: `art-${stamp}@vandelay.example` },
  });
  await api('/catalog/add-ons', { code: 'storage', name: 'Storage 100 GB', prices: { EUR: 300 }, tax_rate: '20', max_quantity: 10 });
  await api('/catalog/plans', { code: 'team', name: 'Team', interval: 'month', prices: { EUR: 2900 }, tax_rate: '20', max_quantity: 50, add_ons: ['storage'] });
  const customer = await api('/customers', { name: 'George Costanza', email: `george-${stamp}@example.com` });
  const sub = await api('/subscriptions', { customer_id: customer.id, plan: 'team', currency: 'EUR', quantity: 2 });
  await api('/billing-runs', {});
  await eventually(async () => (await api('/billing-runs')).data[0]?.status === 'done', 'the billing run');
  assert.equal((await api(`/invoices?customer_id=${customer.id}`)).data.length, 1);

  // On a phone: the footer's "Your account", the plan and its next invoice.
  const link = await api(`/customers/${customer.id}/portal-links`, {});
  const buyer = await phone();
  buyer.page.on('dialog', (d) => assert.fail(`a dialog opened: ${d.message()}`));
  await openLink(buyer.page, link.url);
  await buyer.page.getByRole('contentinfo').getByRole('link', { name: 'Your account' }).click();
  await buyer.page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
  await buyer.page.getByRole('heading', { level: 3, name: 'Team × 2' }).waitFor();
  await buyer.page.getByText(/Next invoice on/).waitFor();
  await checkPage(buyer.page, '64-portal-account');

  // Three seats: first a number out of range, refused with its reason.
  await buyer.page.getByRole('button', { name: 'Change' }).click();
  await buyer.page.getByLabel('Quantity').fill('80');
  await buyer.page.getByRole('button', { name: 'See what it costs' }).click();
  await buyer.page.getByRole('alert').filter({ hasText: 'Team may be taken from 1 to 50' }).waitFor();
  await buyer.page.getByLabel('Quantity').fill('3');
  await buyer.page.getByRole('button', { name: 'See what it costs' }).click();
  await buyer.page.getByRole('heading', { level: 3, name: 'What this change costs' }).waitFor();
  // The same quote the API gives, in money, before anything is written.
  const quote = await api(`/subscriptions/${sub.id}/quote`, { version: 0, quantity: 3, add_ons: [{ code: 'storage', quantity: 0 }] });
  assert.ok(quote.net > 0, JSON.stringify(quote));
  const euros = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'EUR' }).format(quote.net / 100);
  await buyer.page.getByText(`You pay ${euros} now, on a new invoice.`).waitFor();
  await buyer.page.getByRole('cell', { name: /Team × 2 → 3, \d+ of \d+ days/ }).waitFor();
  assert.equal((await api(`/invoices?customer_id=${customer.id}`)).data.length, 1, 'a quote writes nothing');
  await checkPage(buyer.page, '65-portal-change-quote');
  await buyer.page.getByRole('button', { name: 'Confirm the change' }).click();
  await buyer.page.getByText(`Your subscription is changed. Invoice ${sub.number}-C1 is issued.`).waitFor();
  await buyer.page.getByRole('heading', { level: 3, name: 'Team × 3' }).waitFor();
  const invoices = (await api(`/invoices?customer_id=${customer.id}`)).data;
  const proration = invoices.find((i) => i.number === `${sub.number}-C1`);
  assert.equal(proration.total, quote.net);

  // On a laptop: cancelling at the period's end, then keeping it.
  await buyer.page.setViewportSize(LAPTOP);
  await buyer.page.getByRole('button', { name: 'Cancel subscription' }).click();
  await buyer.page.getByRole('radio', { name: /At the end of the period/ }).waitFor();
  await buyer.page.getByRole('button', { name: 'See what it costs' }).click();
  await buyer.page.getByRole('button', { name: 'Cancel the subscription' }).click();
  await buyer.page.getByText(/^Ends after .*; no invoice after that\.$/).first().waitFor();
  await checkPage(buyer.page, '66-portal-account-ending');
  await buyer.page.getByRole('button', { name: 'Keep my subscription' }).click();
  await buyer.page.getByText('Your subscription continues.').waitFor();
  const after = await api(`/subscriptions/${sub.id}`);
  assert.equal(after.cancel_at, null);
  assert.equal(after.quantity, 3);
});
