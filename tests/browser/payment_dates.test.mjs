// Payment dates: a customer on a phone who cannot pay today picks a date
// from the invoice, sees the promise and when it will be reminded, and
// changes the date once; the invoice's reminders hold meanwhile. An agent
// on a laptop finds it under Payment dates, cancels it (reminders resume),
// and records one made by phone on the invoice page. A note with markup is
// shown as text. It works on an organization of its own.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, eventually, useBrowser, checkPage, newPage, phone, openLink, signInFromOutbox, newOrganization } from './support.mjs';

useBrowser();

const LAPTOP = { width: 1280, height: 800 };

const plusDays = (iso, n) => {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
};

test('a customer promises a date, changes it once, and an agent cancels it and records one by phone', async () => {
  const stamp = Date.now();
  const adminEmail = `dates-${stamp}@globex.example`;
  const { api } = await newOrganization({
    name: `Globex ${stamp}`,
    branding: { display_name: 'Globex', primary_color: '#1d4ed8', support_email: 'ar@globex.example' },
    admin: { name: 'Hank Scorpio', email: adminEmail },
  });
  const customer = await api('/customers', { name: 'Homer Simpson', email: `homer-${stamp}@example.com`, time_zone: 'Asia/Tokyo' });
  const due = new Date(Date.now() + 5 * 86400000).toISOString().slice(0, 10);
  const invoice = await api('/invoices', {
    customer_id: customer.id, number: `GLX-${stamp}`, currency: 'USD', due_date: due,
    lines: [{ description: 'Hammock district survey', quantity: 1, unit_amount: 125000 }],
  });
  const reminded = async () => (await api('/reminders/upcoming')).data.some((s) => s.invoice_id === invoice.id);
  assert.ok(await reminded(), 'reminders ahead before the promise');

  // The customer, on a phone: "Can't pay today? Choose a date".
  const link = await api(`/customers/${customer.id}/portal-links`, {});
  const buyer = await phone();
  buyer.page.on('dialog', (d) => assert.fail(`a dialog opened: ${d.message()}`));
  await openLink(buyer.page, link.url);
  await buyer.page.locator('.card', { hasText: invoice.number }).getByRole('link').click();
  await buyer.page.getByRole('link', { name: "Can't pay today? Choose a date" }).click();
  await buyer.page.waitForURL(/\/promise\/inv_/);
  await buyer.page.getByRole('heading', { level: 1, name: `Choose a date to pay invoice ${invoice.number}` }).waitFor();
  await buyer.page.getByText('$1,250.00').waitFor();
  const input = buyer.page.getByLabel('I will pay by');
  const first = await input.getAttribute('min');
  const last = await input.getAttribute('max');
  assert.equal(last, plusDays(first, 30), 'the default limit, from the customer\'s today');
  await input.fill(plusDays(first, 7));
  const note = '<script>alert(1)</script> Paid on payday';
  await buyer.page.getByLabel('A note for Globex (optional)').fill(note);
  await checkPage(buyer.page, '50-promise-form');
  await buyer.page.getByRole('button', { name: 'Promise to pay by this date' }).click();
  await buyer.page.getByText('Saved. Thank you for letting us know.').waitFor();
  await buyer.page.getByText(/You promised to pay by/).waitFor();
  await buyer.page.getByText(/We will remind you on/).waitFor();
  await buyer.page.locator('.promise-made .note', { hasText: note }).waitFor();
  assert.equal(await buyer.page.locator('main script').count(), 0, 'markup is text');
  assert.ok(!(await reminded()), 'the promise holds the invoice\'s reminders');

  // One change, and then no more.
  await buyer.page.getByText('Need another date? You can change it once.').waitFor();
  await input.fill(plusDays(first, 10));
  await buyer.page.getByRole('button', { name: 'Change the date' }).click();
  await buyer.page.getByText(/You have changed the date once already/).waitFor();
  assert.ok(await buyer.page.locator('form.promise-form').isHidden(), 'no second change');
  await checkPage(buyer.page, '51-promise-made');

  // The agent, on a laptop: Payment dates.
  const agent = await newPage(LAPTOP);
  await signInFromOutbox(agent.page, adminEmail, stamp);
  await agent.page.getByRole('link', { name: 'Payment dates' }).click();
  const row = agent.page.getByRole('row', { name: new RegExp(invoice.number) });
  await row.getByText('the customer, in the portal').waitFor();
  await row.getByText(note).waitFor();
  await checkPage(agent.page, '52-console-payment-dates');
  // The admin narrows the limits: a bad number is refused by the server.
  await agent.page.getByLabel(/Latest date a customer may pick/).fill('365');
  await agent.page.getByRole('button', { name: 'Save changes' }).click();
  await agent.page.getByRole('alert').getByText(/from 1 to 180 days/).waitFor();
  await agent.page.getByLabel(/Latest date a customer may pick/).fill('14');
  await agent.page.getByLabel(/Days of grace/).fill('1');
  await agent.page.getByRole('button', { name: 'Save changes' }).click();
  await agent.page.getByRole('status').getByText('Saved').waitFor();
  assert.deepEqual((await api('/organization')).promises, { max_days: 14, grace_days: 1 });
  await row.getByRole('button', { name: 'Cancel the promise' }).click();
  await row.waitFor({ state: 'detached' });
  assert.ok(await reminded(), 'reminders resume when the promise is cancelled');

  // A promise made by phone, recorded on the invoice.
  await agent.page.goto(`${new URL(agent.page.url()).origin}/console/invoices/${invoice.id}`);
  await agent.page.getByRole('heading', { name: 'Record a promise' }).waitFor();
  await agent.page.getByLabel('Promised date').fill(plusDays(first, 45));
  await agent.page.getByLabel('Note (optional)').fill('Called: paying after the audit');
  await agent.page.getByRole('button', { name: 'Record a promise' }).click();
  await agent.page.locator('.promise-list li', { hasText: 'made by an agent' }).getByText('Active').waitFor();
  await checkPage(agent.page, '53-console-invoice-promise');
  assert.ok(!(await reminded()), 'held again');
});

test('a customer splits their whole overdue balance into three instalments past the rules, a supervisor approves, and the first is paid', async () => {
  const stamp = Date.now();
  const adminEmail = `plans-${stamp}@globex.example`;
  const { org, api } = await newOrganization({
    name: `Globex Plans ${stamp}`,
    branding: { display_name: 'Globex', primary_color: '#1d4ed8', support_email: 'ar@globex.example' },
    admin: { name: 'Hank Scorpio', email: adminEmail },
  });
  const patched = await fetch(`${BASE}/api/v1/organization`, {
    method: 'PATCH',
    headers: { Authorization: `Bearer ${org.api_key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ plans: { max_count: 6, min_instalment: 1000, max_span_days: 30 } }),
  });
  assert.equal(patched.status, 200);
  const customer = await api('/customers', { name: 'Marge Simpson', email: `marge-${stamp}@example.com`, time_zone: 'America/Chicago' });
  const due = new Date(Date.now() + 5 * 86400000).toISOString().slice(0, 10);
  const invoice = await api('/invoices', {
    customer_id: customer.id, number: `GLP-${stamp}`, currency: 'USD', due_date: due,
    lines: [{ description: 'Monorail feasibility study', quantity: 1, unit_amount: 90000 }],
  });
  // An older invoice, ten days overdue: it may join the plan.
  const daysAgo = (n) => new Date(Date.now() - n * 86400000).toISOString().slice(0, 10);
  const older = await api('/invoices', {
    customer_id: customer.id, number: `GLO-${stamp}`, currency: 'USD', issue_date: daysAgo(40), due_date: daysAgo(10),
    lines: [{ description: 'Monorail survey', quantity: 1, unit_amount: 30000 }],
  });

  // The customer, on a phone: three monthly instalments, past the 30 days.
  const link = await api(`/customers/${customer.id}/portal-links`, {});
  const buyer = await phone();
  await openLink(buyer.page, link.url);
  await buyer.page.locator('.card', { hasText: invoice.number }).getByRole('link').click();
  await buyer.page.getByRole('link', { name: 'Pay in instalments' }).click();
  await buyer.page.waitForURL(/\/plan\/inv_/);
  await buyer.page.getByRole('heading', { level: 1, name: `Pay invoice ${invoice.number} in instalments` }).waitFor();
  await buyer.page.getByLabel('Number of instalments').selectOption('3');
  assert.equal(await buyer.page.locator('.instalment .num').allInnerTexts().then((a) => a.join('|')), '$300.00|$300.00|$300.00');
  await buyer.page.locator('.terms', { hasText: `900.00 USD for invoice ${invoice.number} in 3` }).waitFor();
  // The whole overdue balance instead: both invoices, $1,200.00.
  await buyer.page.getByLabel(`My whole overdue balance: $1,200.00 (invoices ${older.number}, ${invoice.number})`).check();
  assert.equal(await buyer.page.locator('.instalment .num').allInnerTexts().then((a) => a.join('|')), '$400.00|$400.00|$400.00');
  await buyer.page.getByText('a last instalment more than 30 days away').waitFor();
  await buyer.page.locator('.terms', { hasText: `1200.00 USD for invoices ${older.number} and ${invoice.number} in 3` }).waitFor();
  await buyer.page.getByRole('button', { name: 'Send my plan to Globex' }).click();
  await buyer.page.getByRole('alert').getByText('Tick the box to agree to the terms.').waitFor();
  await buyer.page.getByLabel('I agree to pay these instalments on these dates').check();
  await checkPage(buyer.page, '54-plan-proposal');
  await buyer.page.getByRole('button', { name: 'Send my plan to Globex' }).click();
  await buyer.page.getByText('Globex is looking at your plan; you will get an email with their answer.').waitFor();

  // The supervisor approves it in the console.
  const boss = await newPage(LAPTOP);
  await signInFromOutbox(boss.page, adminEmail, stamp);
  await boss.page.getByRole('link', { name: 'Payment dates' }).click();
  const row = boss.page.getByRole('row', { name: new RegExp(invoice.number) });
  await row.getByText('Past your rules').waitFor();
  await row.getByText(`+ ${older.number}`).waitFor();
  await checkPage(boss.page, '55-console-plan-proposed');
  await row.getByLabel('Message to the customer').fill('Fine by us, thank you for asking.');
  await row.getByRole('button', { name: 'Approve' }).click();
  await row.getByText('Active').waitFor();

  // The customer sees it set up and pays the first instalment.
  await buyer.page.reload();
  await buyer.page.getByText('Your instalment plan is set up.').waitFor();
  await buyer.page.getByText('Fine by us, thank you for asking.').waitFor();
  await buyer.page.getByText(`Invoices in this plan: ${older.number}, ${invoice.number}.`).waitFor();
  await buyer.page.locator('.amount-line', { hasText: '$1,200.00' }).waitFor();
  await checkPage(buyer.page, '56-plan-active');
  await buyer.page.getByRole('button', { name: 'Pay the next instalment: $400.00' }).click();
  await buyer.page.waitForURL(/\/pay\/cs_test_/);
  await buyer.page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await buyer.page.getByRole('button', { name: /^Pay / }).click();
  await buyer.page.waitForURL(/\/invoices\/inv_[0-9a-f]+\?checkout=cs_test_/);
  // The oldest invoice is paid first; the rest goes to the newer one.
  const plan = await eventually(async () => {
    const p = (await api(`/plans?invoice_id=${invoice.id}`)).data[0];
    return p.paid === 40000 && p;
  }, 'the first instalment is paid');
  assert.deepEqual(plan.instalments.map((i) => i.paid), [true, false, false]);
  assert.equal(plan.next_due.amount, 40000);
  assert.equal((await api(`/invoices/${older.id}`)).status, 'paid');
  assert.equal((await api(`/invoices/${invoice.id}`)).amount_paid, 10000);
});

test('a customer pays an invoice early with its discount, and it closes at zero', async () => {
  const stamp = Date.now();
  const { api } = await newOrganization({
    name: `Globex Early ${stamp}`,
    branding: { display_name: 'Globex', primary_color: '#1d4ed8', support_email: 'ar@globex.example' },
    admin: { name: 'Hank Scorpio', email: `early-${stamp}@globex.example` },
  });
  const customer = await api('/customers', { name: 'Lisa Simpson', email: `lisa-${stamp}@example.com`, time_zone: 'Pacific/Auckland' });
  const due = new Date(Date.now() + 30 * 86400000).toISOString().slice(0, 10);
  const invoice = await api('/invoices', {
    customer_id: customer.id, number: `GLE-${stamp}`, currency: 'USD', due_date: due,
    early_payment: { basis_points: 200, days: 10 },
    lines: [{ description: 'Saxophone lessons', quantity: 10, unit_amount: 10000 }],
  });
  assert.equal(invoice.early_payment.pay, 98000);
  const link = await api(`/customers/${customer.id}/portal-links`, {});
  const buyer = await phone();
  await openLink(buyer.page, link.url);
  await buyer.page.locator('.card', { hasText: invoice.number }).getByRole('link').click();
  await buyer.page.getByText(/Pay by .* and save \$20\.00 \(2% off\)\./).waitFor();
  await checkPage(buyer.page, '57-early-payment');
  await buyer.page.getByRole('button', { name: 'Pay $980.00' }).click();
  await buyer.page.waitForURL(/\/pay\/cs_test_/);
  await buyer.page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await buyer.page.getByRole('button', { name: /^Pay / }).click();
  await buyer.page.waitForURL(/\/invoices\/inv_[0-9a-f]+\?checkout=cs_test_/);
  await buyer.page.getByRole('status').filter({ hasText: 'Your payment was received' }).waitFor({ timeout: 30000 });
  const rows = (await api(`/invoices/${invoice.id}/payments`)).data.map((p) => [p.kind, p.amount]).sort();
  assert.deepEqual(rows, [['discount', 2000], ['payment', 98000]]);
});
