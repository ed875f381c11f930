// Scheduled automatic payments: a customer on a phone who cannot pay today
// saves a test card on the Stripe stand-in's setup page from the invoice's
// date page, schedules the payment three days on, and sees it; on that day
// (the organization's demo clock) the card is charged once and the invoice
// is paid. Then they turn autopay on for future invoices.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, must, useBrowser, checkPage, phone, openLink, eventually, newOrganization } from './support.mjs';

useBrowser();

const plusDays = (iso, n) => {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
};

test('a customer saves a card, schedules the payment, is charged on the day, and turns autopay on', async () => {
  const stamp = Date.now();
  const { id: orgId, api } = await newOrganization({
    name: `Initech ${stamp}`,
    branding: { display_name: 'Initech', primary_color: '#0f766e', support_email: 'ar@initech.example' },
    admin: { name: 'Bill Lumbergh', email: `bill-${stamp}@initech.example` },
  });
  const operator = async (method, path, body) => {
    const r = await fetch(method === 'GET' ? `${BASE}/api/v1/operator/${path}?organization_id=${orgId}` : `${BASE}/api/v1/operator/${path}`, {
      method,
      headers: { Authorization: `Bearer ${must('SETTLE_OPERATOR_TOKEN')}`, 'Content-Type': 'application/json' },
      body: body && JSON.stringify({ ...body, organization_id: orgId }),
    });
    assert.ok(r.ok, `operator ${path}: ${r.status}`);
    return r.json();
  };
  const customer = await api('/customers', { name: 'Peter Gibbons', email: `peter-${stamp}@example.com`, time_zone: 'America/Chicago' });
  const due = new Date(Date.now() + 5 * 86400000).toISOString().slice(0, 10);
  const invoice = await api('/invoices', {
    customer_id: customer.id, number: `INI-${stamp}`, currency: 'USD', due_date: due,
    lines: [{ description: 'TPS report cover sheets', quantity: 1, unit_amount: 48000 }],
  });

  const link = await api(`/customers/${customer.id}/portal-links`, {});
  const buyer = await phone();
  buyer.page.on('dialog', (d) => assert.fail(`a dialog opened: ${d.message()}`));
  await openLink(buyer.page, link.url);
  await buyer.page.locator('.card', { hasText: invoice.number }).getByRole('link').click();
  await buyer.page.getByRole('link', { name: "Can't pay today? Choose a date" }).click();
  await buyer.page.waitForURL(/\/promise\/inv_/);
  await buyer.page.getByRole('heading', { level: 2, name: 'Or pay automatically on a date' }).waitFor();

  // No saved card yet: save one on the provider's page and come back.
  await buyer.page.getByRole('button', { name: 'Save a card to pay automatically' }).click();
  await buyer.page.waitForURL(/\/pay\/cs_test_setup/);
  await buyer.page.getByRole('heading', { name: 'Save a card or bank account' }).waitFor();
  await buyer.page.getByLabel('Card number').fill('4000 0000 0000 0002');
  await buyer.page.getByRole('button', { name: 'Save card' }).click();
  await buyer.page.getByText('Your card was declined.').waitFor();
  await buyer.page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await buyer.page.getByRole('button', { name: 'Save card' }).click();
  await buyer.page.waitForURL(/\/promise\/inv_[0-9a-f]+/);
  await buyer.page.getByText('Saved. You can now pay automatically with it.').waitFor();
  assert.ok(!buyer.page.url().includes('saved='), 'the address bar forgets the session');

  // Three days on, with the saved Visa.
  const input = buyer.page.getByLabel('Charge on');
  const first = await input.getAttribute('min');
  const day = plusDays(first, 2);
  await input.fill(day);
  assert.ok(await buyer.page.getByLabel('Visa ···· 4242').isChecked(), 'the saved card is chosen');
  await checkPage(buyer.page, '60-schedule-form');
  await buyer.page.getByRole('button', { name: 'Schedule the payment' }).click();
  await buyer.page.getByText('Scheduled. We will email you if it does not go through.').waitFor();
  await buyer.page.getByText(/\$480\.00 will be paid with Visa ···· 4242 on/).waitFor();
  await buyer.page.getByText(/an automatic payment is scheduled on this invoice/i).waitFor();
  assert.ok(await buyer.page.locator('form.promise-form').isHidden(), 'no promise beside it');
  await checkPage(buyer.page, '61-schedule-made');
  // The invoice says so, with the way back to change it.
  await buyer.page.getByRole('link', { name: 'Back to the invoice' }).click();
  await buyer.page.getByRole('link', { name: /Automatic payment on/ }).waitFor();

  // That day, 10:00 in Chicago: the cron charges it, once.
  const [y, m, d] = day.split('-').map(Number);
  const chicago10 = new Date(Date.UTC(y, m - 1, d, 16, 0, 0)); // CST is UTC−6 in winter
  await operator('POST', 'clock', { set: chicago10.toISOString() });
  await operator('POST', 'cron', {});
  await eventually(async () => (await api(`/invoices/${invoice.id}`)).status === 'paid', 'the scheduled charge pays the invoice');
  const schedules = await api(`/scheduled-payments?invoice_id=${invoice.id}`);
  assert.equal(schedules.data[0].status, 'paid');
  assert.equal(schedules.data[0].attempts, 1);

  // Autopay for the invoices to come, from the footer's link.
  await buyer.page.getByRole('contentinfo').getByRole('link', { name: 'Your account' }).click();
  await buyer.page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
  await buyer.page.getByRole('main').getByRole('link', { name: 'Saved cards and autopay' }).click();
  await buyer.page.getByRole('heading', { level: 1, name: 'Saved cards and autopay' }).waitFor();
  await buyer.page.getByText('Autopay is off.').waitFor();
  await buyer.page.getByRole('button', { name: 'Turn on autopay' }).click();
  await buyer.page.getByText('Autopay is on with Visa ···· 4242.').waitFor();
  await checkPage(buyer.page, '62-saved-cards-autopay');
  const next = await api('/invoices', {
    customer_id: customer.id, number: `INI-${stamp}-2`, currency: 'USD', due_date: plusDays(due, 30),
    lines: [{ description: 'Stapler', quantity: 1, unit_amount: 1500 }],
  });
  const auto = await api(`/scheduled-payments?invoice_id=${next.id}`);
  assert.equal(auto.data[0].source, 'autopay');
  assert.equal(auto.data[0].charge_on, plusDays(due, 30));
});
