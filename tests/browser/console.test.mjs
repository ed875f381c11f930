// The company console in headless Chromium, on a laptop (1280 px) and a
// tablet (820 px): the demo admin signs in through the link in the local
// outbox, changes the branding (the portal and the next email follow), adds
// a customer, creates, sends and voids an invoice, and invites
// an agent, who signs in and can neither open the team page nor another
// agent's customer. Each page is checked with axe-core and saved as a
// screenshot. It works on accounts of its own: the demo customers the
// portal journeys read are left as they are.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { BASE, MAIL, must, useBrowser, checkPage, waitForMail, newPage } from './support.mjs';

const DEMO = JSON.parse(fs.readFileSync(must('SETTLE_DEMO'), 'utf8'));
const member = (role) => DEMO.members.find((m) => m.role === role);
const LAPTOP = { width: 1280, height: 800 };
const TABLET = { width: 820, height: 1180 };

useBrowser();

/** Opens the newest email to `to` in the outbox and clicks its Sign in button. */
async function signInFromOutbox(page, to, since) {
  const mail = await waitForMail(to, (m) => m.subject.startsWith('Sign in to') && m.received_at_ms >= since - 1000);
  await page.goto(`${MAIL}/messages/${mail.id}`);
  await page.getByRole('link', { name: 'Sign in' }).first().click();
  await page.waitForURL(/\/console\/customers$/);
  await page.getByRole('heading', { level: 1, name: 'Customers' }).waitFor();
}

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
  await agent.page.goto(customerUrl);
  await agent.page.getByText('This account is not assigned to you.').waitFor();
  // Signing out ends the session: the console asks to sign in again.
  await agent.page.getByRole('button', { name: 'Sign out' }).click();
  await agent.page.waitForURL(/\/console\/sign-in$/);
  await agent.context.close();
});
