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
import { useBrowser, checkPage, newPage, signInFromOutbox, newOrganization, eventually } from './support.mjs';

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
  await page.getByLabel('Code').fill('team');
  await page.getByLabel('Name').fill('Team');
  await page.getByLabel('Price').fill('29.00');
  await page.getByRole('button', { name: 'Create the plan' }).click();
  await page.getByRole('row', { name: /team Team month/ }).waitFor();
  // A bad price is stopped before it is sent.
  await page.getByLabel('Code').fill('odd');
  await page.getByLabel('Name').fill('Odd');
  await page.getByLabel('Price').fill('twelve');
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
});
