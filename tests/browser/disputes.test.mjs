// Disputes in two browsers at once: a customer on a phone says from the
// invoice what is wrong, an agent on a laptop answers in the console, and
// each sees the other's messages appear without reloading. The agent
// resolves it with a credit note: the customer's balance drops, and the
// invoice's reminders, paused while the dispute was open, resume. Markup in
// a message is shown as text and runs nothing. It works on an organization
// of its own.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, MAIL, must, useBrowser, checkPage, newPage, phone, openLink, signInFromOutbox, newOrganization, waitForMail } from './support.mjs';

useBrowser();

const LAPTOP = { width: 1280, height: 800 };

test('a customer disputes a line, talks it through with an agent live, and gets a credit note', async () => {
  const stamp = Date.now();
  const adminEmail = `agent-${stamp}@initech.example`;
  const { org, api } = await newOrganization({
      name: `Initech ${stamp}`,
      branding: { display_name: 'Initech', primary_color: '#0f766e', support_email: 'billing@initech.example' },
      admin: { name: 'Peter Gibbons', email: adminEmail },
  });
  const customer = await api('/customers', { name: 'Milton Waddams', email: `milton-${stamp}@example.com`, time_zone: 'America/Chicago' });
  const due = new Date(Date.now() + 10 * 86400000).toISOString().slice(0, 10);
  const invoice = await api('/invoices', {
    customer_id: customer.id, number: `ITC-${stamp}`, currency: 'EUR', due_date: due,
    lines: [
      { description: 'Red staplers', quantity: 3, unit_amount: 1500 },
      { description: 'Desk move', quantity: 1, unit_amount: 5000 },
    ],
  });
  const reminded = async () => (await api('/reminders/upcoming')).data.some((s) => s.invoice_id === invoice.id);
  assert.ok(await reminded(), 'an open invoice due in ten days has reminders ahead');

  // The customer, on a phone: "Something wrong with this invoice?"
  const link = await api(`/customers/${customer.id}/portal-links`, {});
  const buyer = await phone();
  buyer.page.on('dialog', (d) => assert.fail(`a dialog opened: ${d.message()}`));
  await openLink(buyer.page, link.url);
  await buyer.page.locator('.card', { hasText: invoice.number }).getByRole('link').click();
  await buyer.page.getByRole('link', { name: 'Something wrong with this invoice?' }).click();
  await buyer.page.waitForURL(/\/disputes\/new\/inv_/);
  await buyer.page.getByRole('heading', { level: 1, name: `What is wrong with invoice ${invoice.number}?` }).waitFor();
  await buyer.page.getByLabel('Wrong items or quantity').check();
  await buyer.page.getByLabel('Some lines').check();
  await buyer.page.getByLabel(/Red staplers/).check();
  const xss = '<img src=x onerror=alert(1)> Two staplers came, not three.';
  await buyer.page.getByLabel('Your message').fill(xss);
  await checkPage(buyer.page, '40-dispute-form');
  await buyer.page.getByRole('button', { name: 'Send to Initech' }).click();
  await buyer.page.waitForURL(/\/disputes\/dsp_/);
  await buyer.page.getByText('You dispute €45.00 of this invoice.').waitFor();
  // Markup is text: shown as typed, no image element, nothing run.
  await buyer.page.locator('.message .body', { hasText: xss }).waitFor();
  assert.equal(await buyer.page.locator('.thread img').count(), 0);
  assert.ok(!(await reminded()), 'the open dispute pauses the invoice\'s reminders');

  // The agent, on a laptop, in the console.
  const agent = await newPage(LAPTOP);
  await signInFromOutbox(agent.page, adminEmail, stamp);
  await agent.page.getByRole('link', { name: 'Disputes' }).click();
  const row = agent.page.getByRole('row', { name: new RegExp(invoice.number) });
  await row.getByText('1 new').waitFor();
  await row.getByRole('link', { name: invoice.number }).click();
  await agent.page.locator('.message .body', { hasText: xss }).waitFor();
  assert.equal(await agent.page.locator('.thread img').count(), 0);
  await checkPage(agent.page, '42-console-dispute');

  // Each side's message appears on the other without a reload.
  await agent.page.getByLabel('Your answer').fill('Sorry! We will credit the missing stapler.');
  await agent.page.getByRole('button', { name: 'Send', exact: true }).click();
  await buyer.page.getByText('Sorry! We will credit the missing stapler.').waitFor({ timeout: 15000 });
  await buyer.page.getByLabel('Write a message').fill('Thank you, that works for me.');
  await buyer.page.getByRole('button', { name: 'Send', exact: true }).click();
  await agent.page.getByText('Thank you, that works for me.').waitFor({ timeout: 15000 });
  await buyer.page.getByText('Read', { exact: true }).waitFor({ timeout: 15000 });
  await checkPage(buyer.page, '41-dispute-thread');

  // A credit note for one stapler (15.00 with no tax): the balance drops.
  await agent.page.getByLabel(/Credit amount/).fill('15.00');
  await agent.page.getByLabel('Message to the customer').fill('We have credited one stapler, 15.00.');
  await agent.page.getByRole('button', { name: 'Resolve with a credit note' }).click();
  await agent.page.locator('.heading .badge', { hasText: 'Resolved' }).waitFor();
  await buyer.page.getByText('Initech resolved the dispute:').waitFor({ timeout: 15000 });
  await buyer.page.getByText(/Credit note CN-ITC-\d+-1: €15\.00 off the invoice\./).waitFor();
  await buyer.page.getByRole('link', { name: 'See the invoice' }).click();
  await buyer.page.locator('.due-now').getByText('€80.00').waitFor();
  assert.ok(await reminded(), 'resolved, the invoice is reminded again for what is left');
  await buyer.context.close();
  await agent.context.close();
});

test('a reply to a reminder, sent from the outbox, lands in the agent\'s view of the thread', async () => {
  const stamp = Date.now();
  const adminEmail = `ar-${stamp}@globex.example`;
  const { id, org, api } = await newOrganization({
    name: `Globex ${stamp}`,
    branding: { display_name: 'Globex', primary_color: '#1d4ed8', support_email: 'billing@globex.example' },
    admin: { name: 'Hank Scorpio', email: adminEmail },
  });
  // Reminders at any hour, so that the one due today goes now.
  const patched = await fetch(`${BASE}/api/v1/organization`, {
    method: 'PATCH',
    headers: { Authorization: `Bearer ${org.api_key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ reminders: { window_start: '00:00', window_end: '24:00', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] } }),
  });
  assert.equal(patched.status, 200);
  const email = `homer-${stamp}@example.com`;
  const customer = await api('/customers', { name: 'Homer Simpson', email, time_zone: 'UTC' });
  // Due in four days; tomorrow (by the organization's demo clock) the first
  // reminder ("3 days before") is due.
  const due = new Date(Date.now() + 4 * 86400000).toISOString().slice(0, 10);
  const invoice = await api('/invoices', {
    customer_id: customer.id, number: `GLX-${stamp}`, currency: 'USD', due_date: due,
    lines: [{ description: 'Doomsday device', quantity: 1, unit_amount: 99900 }],
  });
  const operator = (path, body) => fetch(`${BASE}/api/v1/operator/${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${must('SETTLE_OPERATOR_TOKEN')}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ organization_id: id, ...body }),
  });
  assert.ok((await operator('cron', {})).ok);
  assert.ok((await operator('clock', { advance_seconds: 86400 })).ok);
  const cron = await fetch(`${BASE}/api/v1/operator/cron`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${must('SETTLE_OPERATOR_TOKEN')}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ organization_id: id }),
  });
  assert.ok(cron.ok);
  const reminder = await waitForMail(email, (m) => m.reply_to && m.text.includes(invoice.number));

  // The customer answers it from their mailbox (the outbox's Reply).
  const mailbox = await newPage(LAPTOP);
  await mailbox.page.goto(MAIL);
  await mailbox.page.getByRole('row', { name: new RegExp(`homer-${stamp}`) })
    .getByRole('link', { name: 'Reply' }).first().click();
  const said = 'We never received the device. <script>alert(1)</script>';
  await mailbox.page.getByLabel(/Reply as/).fill(said);
  await mailbox.page.getByRole('button', { name: 'Send reply' }).click();
  await mailbox.page.waitForURL(/replied=1/);

  // The agent sees the account marked and the reply in the thread, as text.
  const agent = await newPage(LAPTOP);
  agent.page.on('dialog', (d) => assert.fail(`a dialog opened: ${d.message()}`));
  await signInFromOutbox(agent.page, adminEmail, stamp);
  const deadline = Date.now() + 20000;
  while (!(await agent.page.getByRole('row', { name: /Homer Simpson/ }).getByText('Reply received').count())) {
    assert.ok(Date.now() < deadline, 'the reply reaches the account');
    await agent.page.reload();
    await agent.page.getByRole('heading', { level: 1, name: 'Customers' }).waitFor();
  }
  await agent.page.getByRole('link', { name: 'Disputes' }).click();
  const row = agent.page.getByRole('row', { name: new RegExp(invoice.number) });
  await row.getByText('Email reply').waitFor();
  await row.getByRole('link', { name: invoice.number }).click();
  await agent.page.locator('.message p.body', { hasText: said }).waitFor();
  await agent.page.getByText('Received by email').waitFor();
  assert.equal(await agent.page.locator('.thread script').count(), 0);
  // The quoted reminder is trimmed from the thread, and kept on record.
  assert.equal(await agent.page.locator('.message p.body', { hasText: 'wrote:' }).count(), 0);
  await agent.page.getByText('The whole email').click();
  await agent.page.locator('details pre', { hasText: 'wrote:' }).waitFor();
  await checkPage(agent.page, '43-console-email-reply');
  await mailbox.context.close();
  await agent.context.close();
});

test('an agent replaces a wrong invoice with a corrected one, and the customer is sent it', async () => {
  const stamp = Date.now();
  const adminEmail = `fix-${stamp}@hooli.example`;
  const { api } = await newOrganization({
    name: `Hooli ${stamp}`,
    branding: { display_name: 'Hooli', primary_color: '#7c3aed', support_email: 'billing@hooli.example' },
    admin: { name: 'Gavin Belson', email: adminEmail },
  });
  const email = `richard-${stamp}@example.com`;
  const customer = await api('/customers', { name: 'Richard Hendricks', email, time_zone: 'America/Los_Angeles' });
  const due = new Date(Date.now() + 14 * 86400000).toISOString().slice(0, 10);
  const invoice = await api('/invoices', {
    customer_id: customer.id, number: `HOO-${stamp}`, currency: 'USD', due_date: due,
    lines: [
      { description: 'Consulting hours', quantity: 10, unit_amount: 15000 },
      { description: 'Travel', quantity: 1, unit_amount: 20000 },
    ],
  });
  // The customer phoned: the agreed rate was 120.00 an hour.
  await api(`/invoices/${invoice.id}/disputes`, { reason: 'Phoned: the agreed rate is 120.00 an hour, not 150.00.' });

  const agent = await newPage(LAPTOP);
  agent.page.on('dialog', (d) => assert.fail(`a dialog opened: ${d.message()}`));
  await signInFromOutbox(agent.page, adminEmail, stamp);
  await agent.page.getByRole('link', { name: 'Disputes' }).click();
  await agent.page.getByRole('row', { name: new RegExp(invoice.number) }).getByRole('link', { name: invoice.number }).click();
  await agent.page.getByText('Replace with a corrected invoice').first().click();
  // The form starts from the invoice's own lines.
  const first = agent.page.locator('.correction .line').first();
  await first.getByLabel('Unit price').waitFor();
  assert.equal(await first.getByLabel('Unit price').inputValue(), '150.00');
  assert.equal(await agent.page.locator('.correction .line').count(), 2);
  await first.getByLabel('Unit price').fill('120.00');
  await agent.page.getByLabel('What changed (the customer reads this)').fill('Corrected to the agreed rate of 120.00 an hour.');
  await checkPage(agent.page, '44-console-correction');
  await agent.page.locator('.correction').getByRole('button', { name: 'Replace with a corrected invoice' }).click();
  await agent.page.locator('.heading .badge', { hasText: 'Resolved' }).waitFor();
  await agent.page.getByRole('link', { name: `Replaced by invoice ${invoice.number}-R1` }).waitFor();

  // The customer is emailed the correction, which says what it replaces.
  const mail = await waitForMail(email, (m) => m.subject.includes(`${invoice.number}-R1`));
  assert.match(mail.text, new RegExp(`It replaces invoice ${invoice.number}, which is void`));
  const buyer = await phone();
  // The email's link opens the corrected invoice itself.
  await openLink(buyer.page, mail.text.match(/http:\/\/\S+\/c\/\S+/)[0]);
  await buyer.page.getByRole('heading', { level: 1, name: `Invoice ${invoice.number}-R1` }).waitFor();
  await buyer.page.locator('.due-now').getByText('$1,400.00').waitFor();
  // The list: the correction to pay, the old invoice void.
  await buyer.page.getByRole('link', { name: 'All invoices' }).click();
  await checkPage(buyer.page, '45-corrected-invoices');
  await buyer.context.close();
  await agent.context.close();
});
