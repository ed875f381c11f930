// The company console in headless Chromium, on a laptop (1280 px) and a
// tablet (820 px): the demo admin signs in through the link in the local
// outbox, changes the branding (the portal and the next email follow), adds
// a customer, creates, sends and voids an invoice, and invites
// an agent, who signs in and can neither open the team page nor another
// agent's customer. Each page is checked with axe-core and saved as a
// screenshot. It works on accounts of its own: the demo customers the
// portal journeys read are left as they are. A second organization's admin
// connects the company's own Stripe account (a second account at the
// Stripe stand-in), and its customer pays through it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { BASE, must, useBrowser, checkPage, waitForMail, newPage, phone, openLink, signInFromOutbox, newOrganization } from './support.mjs';

const DEMO = JSON.parse(fs.readFileSync(must('SETTLE_DEMO'), 'utf8'));
const member = (role) => DEMO.members.find((m) => m.role === role);
const LAPTOP = { width: 1280, height: 800 };
const TABLET = { width: 820, height: 1180 };

useBrowser();

/** The demo company's branding as the seed made it, whatever happens in
 *  the test (the portal journeys read its colour). */
async function restoreBranding() {
  await fetch(`${BASE}/api/v1/organization`, {
    method: 'PATCH',
    headers: { Authorization: `Bearer ${DEMO.api_key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ branding: { display_name: 'Northwind Supplies', primary_color: '#0f766e', support_email: 'accounts@northwind.example' } }),
  });
}

test('the demo admin signs in from the outbox, bills a new customer, and invites an agent who sees only their own accounts', async (t) => {
  t.after(restoreBranding);
  const admin = member('admin');
  const { context, page } = await newPage(LAPTOP);
  const since = Date.now();
  await page.goto(`${BASE}/console/customers`);
  // Not signed in: the sign-in page.
  await page.waitForURL(/\/console\/sign-in$/);
  await checkPage(page, '30-console-sign-in');
  await page.getByLabel('Email address', { exact: true }).fill(admin.email);
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  await page.getByText('a sign-in link is on its way').waitFor();
  await signInFromOutbox(page, admin.email, since);
  assert.match(await page.locator('.bar').innerText(), /Northwind Supplies[\s\S]*Grace Hopper · Admin/);
  await page.getByText(/\d+ customers/).waitFor();
  // Who works each account: the demo agent has Ada and Camille.
  await page.getByRole('columnheader', { name: 'Assigned to' }).waitFor();
  await page.getByRole('row', { name: /Ada Lovelace/ }).getByRole('cell', { name: member('agent').name }).waitFor();
  await checkPage(page, '31-console-customers');

  // Branding: a colour white text cannot be read on is refused before it
  // is sent; a dark one is saved (and put back after the test).
  await page.getByRole('link', { name: 'Branding' }).click();
  await page.getByRole('heading', { level: 1, name: 'Branding' }).waitFor();
  await page.getByLabel('Primary colour').fill('#ffd700');
  await page.getByRole('alert').filter({ hasText: 'White text on the primary colour has a contrast of 1.40:1' }).waitFor();
  assert.ok(await page.getByRole('button', { name: 'Save' }).isDisabled());
  await page.getByLabel('Primary colour').fill('#7c2d12');
  await page.getByLabel('Email footer').fill('Northwind Supplies Ltd, 12 Harbour Road');
  await page.getByRole('button', { name: 'Preview the invoice email' }).click();
  const preview = page.frameLocator('iframe.email-preview');
  await preview.getByText('12 Harbour Road').waitFor();
  await checkPage(page, '36-console-branding');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved.').waitFor();

  // A new customer, found by search.
  await page.getByRole('link', { name: 'Customers', exact: true }).click();
  const stamp = Date.now();
  const email = `console-${stamp}@example.com`;
  await page.getByRole('button', { name: 'New customer' }).click();
  await page.getByLabel('Name', { exact: true }).fill(`Console Buyer ${stamp}`);
  await page.getByLabel('Email address', { exact: true }).fill(email);
  await page.getByRole('button', { name: 'Add customer' }).click();
  await page.waitForURL(/\/console\/customers\/cus_/);
  await page.getByRole('heading', { level: 1, name: `Console Buyer ${stamp}` }).waitFor();
  const customerUrl = page.url();
  await page.getByRole('button', { name: 'Edit' }).click();
  await page.getByLabel('Name', { exact: true }).fill(`Console Buyer ${stamp} Ltd`);
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('heading', { level: 1, name: `Console Buyer ${stamp} Ltd` }).waitFor();
  await page.getByRole('link', { name: 'Customers', exact: true }).click();
  await page.getByLabel('Search by name or email').fill(`buyer ${stamp}`);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByText('1 customer', { exact: true }).waitFor();

  // The portal, through a link made by hand, wears the new colour.
  await page.goto(customerUrl);
  await page.getByRole('button', { name: 'Create a portal link' }).click();
  const link = await page.locator('input.secret').inputValue();
  const portal = await context.newPage();
  await portal.goto(link);
  await portal.locator('#boot').waitFor({ state: 'detached' });
  await portal.locator('.brand-bar').waitFor();
  const bar = await portal.locator('.brand-bar').evaluate((e) => getComputedStyle(e).borderTopColor);
  assert.equal(bar, 'rgb(124, 45, 18)');
  await portal.close();

  // An invoice with two lines and a tax, sent, then voided.
  await page.getByRole('link', { name: 'New invoice' }).click();
  await page.waitForURL(/\/console\/invoices\/new\?customer=cus_/);
  const number = `CON-${stamp}`;
  await page.getByLabel('Number').fill(number);
  await page.getByLabel('Due date').fill('2099-06-30');
  await page.getByLabel('Description 1').fill('Consulting');
  await page.getByLabel('Quantity').fill('2');
  await page.getByLabel('Unit price').fill('12.50');
  await page.getByLabel('Tax %').fill('20');
  await checkPage(page, '32-console-new-invoice');
  await page.getByRole('button', { name: 'Create invoice' }).click();
  await page.waitForURL(/\/console\/invoices\/inv_/);
  await page.getByRole('heading', { level: 1, name: new RegExp(number) }).waitFor();
  assert.match(await page.locator('.facts').innerText(), /€30\.00/);
  await page.getByRole('button', { name: 'Send invoice email' }).click();
  await page.getByText('The invoice email is on its way.').waitFor();
  const invoiceMail = await waitForMail(email, (m) => m.subject.includes(number));
  assert.match(invoiceMail.html, /#7c2d12/, 'the next email has the new colour');
  assert.match(invoiceMail.html, /12 Harbour Road/, 'and the footer');
  await checkPage(page, '33-console-invoice');
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Void invoice' }).click();
  await page.getByRole('heading', { level: 1, name: new RegExp(`${number} · Void`) }).waitFor();

  // The team: invite an agent.
  await page.getByRole('link', { name: 'Team' }).click();
  await page.getByRole('heading', { level: 1, name: 'Team' }).waitFor();
  const agentEmail = `agent-${stamp}@northwind.example`;
  const invitedAt = Date.now();
  await page.getByLabel('Name', { exact: true }).fill('Ines Invited');
  await page.getByLabel('Email address', { exact: true }).fill(agentEmail);
  await page.getByRole('button', { name: 'Invite a member' }).click();
  await page.getByText('Invitation sent.').waitFor();
  await page.getByRole('cell', { name: agentEmail }).waitFor();
  await checkPage(page, '34-console-team');

  // An API key: made with a name, shown once, revoked.
  await page.getByRole('link', { name: 'API keys' }).click();
  await page.getByLabel('What the key is for').fill('Console test');
  await page.getByRole('button', { name: 'Create a key' }).click();
  const key = await page.locator('input.secret').inputValue();
  assert.match(key, /^sk_/);
  assert.equal((await fetch(`${BASE}/api/v1/invoices`, { headers: { Authorization: `Bearer ${key}` } })).status, 200);
  const row = page.getByRole('row', { name: /Console test/ });
  await row.getByRole('button', { name: /Revoke/ }).click();
  await row.getByText('Revoked').waitFor();
  assert.equal((await fetch(`${BASE}/api/v1/invoices`, { headers: { Authorization: `Bearer ${key}` } })).status, 401);
  await checkPage(page, '37-console-api-keys');
  await context.close();

  // The agent, on a tablet: no team page, and nobody else's accounts.
  const agent = await newPage(TABLET);
  await signInFromOutbox(agent.page, agentEmail, invitedAt);
  await agent.page.getByText('0 customers').waitFor();
  assert.equal(await agent.page.getByRole('link', { name: 'Team' }).count(), 0, 'no Team link for an agent');
  await checkPage(agent.page, '35-console-agent');
  await agent.page.goto(`${BASE}/console/team`);
  await agent.page.getByText('Only a supervisor or an admin can do this.').waitFor();
  // Nor the branding page, nor the Stripe account: only admins.
  assert.equal(await agent.page.getByRole('link', { name: 'Branding' }).count(), 0, 'no Branding link for an agent');
  await agent.page.goto(`${BASE}/console/branding`);
  await agent.page.getByText('Only an admin can do this.').waitFor();
  await agent.page.goto(`${BASE}/console/stripe`);
  await agent.page.getByText('Only an admin can do this.').waitFor();
  await agent.page.goto(customerUrl);
  await agent.page.getByText('This account is not assigned to you.').waitFor();
  // Signing out ends the session: the console asks to sign in again.
  await agent.page.getByRole('button', { name: 'Sign out' }).click();
  await agent.page.waitForURL(/\/console\/sign-in$/);
  await agent.context.close();
});

test("a second organization's admin connects its own Stripe account, and its customer pays through it", async () => {
  const STRIPE = must('SETTLE_STRIPE_URL');
  const stamp = Date.now();
  const adminEmail = `owner-${stamp}@globex.example`;
  const { org, api } = await newOrganization({
      name: `Globex ${stamp}`,
      branding: { display_name: 'Globex Corporation', primary_color: '#1d4ed8', support_email: 'billing@globex.example' },
      admin: { name: 'Hank Scorpio', email: adminEmail },
  });

  // The admin signs in from the invitation and opens the Stripe page.
  const { context, page } = await newPage(LAPTOP);
  await signInFromOutbox(page, adminEmail, stamp);
  await page.getByRole('link', { name: 'Stripe' }).click();
  await page.getByRole('heading', { level: 1, name: 'Stripe' }).waitFor();
  await page.getByText('Payments go to the Stripe account of this Settle installation').waitFor();
  const hookUrl = await page.getByLabel('Endpoint address').inputValue();
  assert.equal(hookUrl, `${BASE}/api/stripe/webhook/${org.organization.id}`);

  // At Stripe (the stand-in's API, as the Stripe CLI would call it): the
  // company's own account gets an endpoint for that address.
  const key = `sk_test_globex${stamp}abcdefgh`;
  const endpoint = await fetch(`${STRIPE}/v1/webhook_endpoints`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ url: hookUrl, 'enabled_events[0]': '*' }),
  }).then((r) => r.json());
  assert.match(endpoint.secret, /^whsec_/);

  // A publishable key pasted by mistake is refused, saying why.
  await page.getByLabel('Secret or restricted key').fill(`pk_test_globex${stamp}abcdefgh`);
  await page.getByLabel('Webhook signing secret').fill(endpoint.secret);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'This is a publishable key' }).waitFor();
  // The real key connects; afterwards only its last four characters show.
  await page.getByLabel('Secret or restricted key').fill(key);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.getByText('Payments go to your own Stripe account.').waitFor();
  await page.getByText('Connected: Stripe accepts the key and sends the events Settle needs.').waitFor();
  await page.getByText(`••••${key.slice(-4)}`).waitFor();
  assert.ok(!(await page.content()).includes(key), 'the key is never shown again');
  assert.equal(await page.getByLabel('Secret or restricted key').inputValue(), '');
  await page.getByRole('button', { name: 'Check connection' }).click();
  await page.getByText('Connected: Stripe accepts the key').waitFor();
  await checkPage(page, '38-console-stripe');
  await context.close();

  // Its customer pays an invoice; the payment lands at the company's own
  // account, and its event, signed with the endpoint's secret, marks it paid.
  const customer = await api('/customers', { name: 'Marge Buyer', email: `marge-${stamp}@example.com` });
  const invoice = await api('/invoices', {
    customer_id: customer.id, number: `GLX-${stamp}`, currency: 'EUR', due_date: '2099-12-31',
    lines: [{ description: 'Hammock', quantity: 1, unit_amount: 4900 }],
  });
  const link = await api(`/customers/${customer.id}/portal-links`, {});
  const buyer = await phone();
  await openLink(buyer.page, link.url);
  await buyer.page.locator('.card', { hasText: invoice.number }).getByRole('link').click();
  await buyer.page.getByRole('button', { name: /^Pay / }).first().click();
  await buyer.page.waitForURL(/\/pay\/cs_test_/);
  await buyer.page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await buyer.page.getByRole('button', { name: /^Pay \d/ }).click();
  await buyer.page.waitForURL(/\/invoices\/inv_[0-9a-f]+\?checkout=cs_test_/);
  await buyer.page.getByRole('status').filter({ hasText: 'Your payment was received' }).waitFor({ timeout: 30000 });
  assert.equal(await buyer.page.locator('.invoice .badge').innerText(), 'Paid');
  await buyer.context.close();
  const account = await fetch(`${STRIPE}/v1/account`, { headers: { Authorization: `Bearer ${key}` } }).then((r) => r.json());
  const sessions = await fetch(`${STRIPE}/v1/checkout/sessions?limit=10`, { headers: { Authorization: `Bearer ${key}` } }).then((r) => r.json());
  assert.equal(sessions.data.length, 1, 'the session is at the company\'s own account');
  assert.equal(sessions.data[0].client_reference_id, invoice.id);
  assert.equal(sessions.data[0].payment_status, 'paid');
  const all = await fetch(`${STRIPE}/__sim/sessions`).then((r) => r.json());
  assert.equal(all.data.find((s) => s.client_reference_id === invoice.id).x_account, account.id);
});
