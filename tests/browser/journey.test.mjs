// Whole customer journeys in headless Chromium (Debian's), on a 360-pixel
// phone screen: open the emailed link, read the invoices with the company's
// branding, open one, print it, get a fresh link, follow an invoice email.
// Each page is checked with axe-core (no serious or critical violations)
// and saved as a screenshot under $SETTLE_SCREENSHOTS.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BASE, MAIL, SHOTS, must, useBrowser, phone, checkPage, waitForMail, openLink } from './support.mjs';

const DEMO = JSON.parse(fs.readFileSync(must('SETTLE_DEMO'), 'utf8'));
const customer = (name) => DEMO.customers.find((c) => c.name === name);

useBrowser();

function pdfPages(buffer) {
  return (buffer.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
}

test('a customer opens the emailed link and sees their invoices, branded', async () => {
  const { context, page } = await phone();
  await openLink(page, customer('Ada Lovelace').link);
  await page.waitForURL(/\/invoices$/);
  await page.getByRole('heading', { level: 1, name: 'Your invoices' }).waitFor();
  assert.equal(await page.locator('.brand-name').innerText(), 'Northwind Supplies');
  const bar = await page.locator('.brand-bar').evaluate((e) => getComputedStyle(e).borderTopColor);
  assert.equal(bar, 'rgb(15, 118, 110)', 'the company colour');
  const overdue = page.locator('.card.overdue');
  assert.equal(await overdue.count(), 1);
  assert.match(await overdue.innerText(), /NW-1001[\s\S]*Overdue[\s\S]*\$868\.10[\s\S]*Overdue by 10 days/);
  assert.match(await page.locator('.total-due').innerText(), /\$2,643\.95/);
  assert.equal(await page.locator('.card .pay-button').count(), 3, 'each open invoice can be paid from the list');
  assert.match(await page.locator('section', { hasText: 'Paid' }).last().innerText(), /NW-1003/);
  await checkPage(page, '01-invoices-en');

  await overdue.getByRole('link').click();
  await page.waitForURL(/\/invoices\/inv_/);
  await page.getByRole('heading', { level: 1, name: 'Invoice NW-1001' }).waitFor();
  const text = await page.locator('article.invoice').innerText();
  for (const expected of ['Office chairs', 'Delivery', '$801.00', '$67.10', '$868.10', 'Ada Lovelace', '8.875%']) {
    assert.ok(text.includes(expected), `invoice page shows ${expected}`);
  }
  await checkPage(page, '02-invoice-en');

  for (const format of ['A4', 'Letter']) {
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('.no-print').first().isVisible(), false, 'buttons are not printed');
    const pdf = await page.pdf({ format, printBackground: true });
    fs.writeFileSync(path.join(SHOTS, `03-invoice-${format}.pdf`), pdf);
    assert.equal(pdfPages(pdf), 1, `the invoice prints on one ${format} page`);
  }
  await context.close();
});

test('a French customer reads French with French number formats', async () => {
  const { context, page } = await phone('fr-FR');
  await openLink(page, customer('Camille Martin').link);
  await page.getByRole('heading', { level: 1, name: 'Vos factures' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
  const card = await page.locator('.card', { hasText: 'NW-1005' }).innerText();
  assert.match(card, /En retard/);
  assert.match(card, /\d+,\d{2}\s?€/, `French amount in ${card}`);
  await checkPage(page, '04-invoices-fr');
  await context.close();
});

test('an Arabic customer reads right to left', async () => {
  const { context, page } = await phone('ar');
  await openLink(page, customer('Layla Haddad').link);
  await page.getByRole('heading', { level: 1, name: 'فواتيرك' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('dir'), 'rtl');
  assert.equal(await page.locator('html').getAttribute('lang'), 'ar');
  const card = page.locator('.card.overdue').first();
  const box = await card.boundingBox();
  const badge = await card.locator('.badge').boundingBox();
  assert.ok(badge.x < box.x + box.width / 2, 'the badge sits at the inline end, which is the left in Arabic');
  await checkPage(page, '05-invoices-ar');
  await card.getByRole('link').click();
  await page.waitForURL(/\/invoices\/inv_/);
  await page.locator('article.invoice').waitFor();
  await checkPage(page, '06-invoice-ar');
  await context.close();
});

test('a forged link offers a fresh one by email, and that one works', async () => {
  const { context, page } = await phone();
  await page.goto(`${BASE}/c/cl_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`);
  await page.waitForURL(/\/link\?reason=invalid/);
  await page.getByRole('heading', { level: 1, name: 'This link does not work' }).waitFor();
  await checkPage(page, '07-link-invalid');
  const ada = customer('Ada Lovelace');
  const since = Date.now();
  await page.getByLabel('Email address').fill(ada.email);
  await page.getByRole('button', { name: 'Send me a link' }).click();
  await page.getByRole('status').filter({ hasText: 'If this address is on file' }).waitFor();
  await checkPage(page, '08-link-sent');

  const mail = await waitForMail(ada.email, (m) => m.subject.startsWith('Your link to') && m.received_at_ms >= since - 1000);
  const link = mail.text.match(/https?:\/\/\S+\/c\/\S+/)[0];
  await openLink(page, link);
  await page.waitForURL(/\/invoices$/);
  await page.getByRole('heading', { level: 1, name: 'Your invoices' }).waitFor();
  await context.close();
});

test('an invoice sent through the API arrives in the outbox and its link opens it', async () => {
  const camille = customer('Camille Martin');
  const number = `NW-API-${Date.now()}`;
  const r = await fetch(`${BASE}/api/v1/invoices`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${DEMO.api_key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      customer_id: camille.id, number, currency: 'EUR', due_date: '2099-01-31', send: true,
      lines: [{ description: 'Bureau assis-debout', quantity: '1', unit_amount: 64900, tax_rate: '20' }],
    }),
  });
  assert.equal(r.status, 201);
  const invoice = await r.json();
  const mail = await waitForMail(camille.email, (m) => m.subject.includes(number));
  assert.equal(mail.subject, `Facture ${number} de Northwind Supplies`);

  const { context, page } = await phone('fr-FR');
  await page.goto(`${MAIL}/messages/${mail.id}`);
  await page.screenshot({ path: path.join(SHOTS, '09-invoice-email.png'), fullPage: true });
  await page.getByRole('link', { name: 'Voir et payer la facture' }).click();
  await page.waitForURL(new RegExp(`/invoices/${invoice.id}$`));
  await page.getByRole('heading', { level: 1, name: `Facture ${number}` }).waitFor();
  assert.match(await page.locator('.due-now').innerText(), /778,80\s?€/);
  await checkPage(page, '10-invoice-from-email-fr');
  await context.close();
});

test('a customer pays an invoice by card through Checkout and sees it paid', async () => {
  const { context, page } = await phone();
  await openLink(page, customer('Ada Lovelace').link);
  await page.waitForURL(/\/invoices$/);
  await page.locator('.card', { hasText: 'NW-1002' }).getByRole('link').click();
  await page.getByRole('heading', { level: 1, name: 'Invoice NW-1002' }).waitFor();
  await checkPage(page, '11-invoice-before-paying');
  await page.getByRole('button', { name: 'Pay $1,175.85' }).click();
  await page.waitForURL(/\/pay\/cs_test_/);
  await page.screenshot({ path: path.join(SHOTS, '12-checkout.png'), fullPage: true });
  await page.getByLabel('Card number').fill('4000 0000 0000 0002');
  await page.getByRole('button', { name: /^Pay / }).click();
  await page.getByRole('alert').filter({ hasText: 'Your card was declined.' }).waitFor();
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: /^Pay / }).click();
  await page.waitForURL(/\/invoices\/inv_[0-9a-f]+\?checkout=cs_test_/);
  await page.getByRole('status').filter({ hasText: 'Your payment was received' }).waitFor({ timeout: 30000 });
  assert.equal(await page.locator('.invoice .badge').innerText(), 'Paid');
  assert.equal(await page.getByRole('button', { name: /^Pay / }).count(), 0, 'no second payment offered');
  await checkPage(page, '13-invoice-paid');

  const id = page.url().match(/invoices\/(inv_[0-9a-f]+)/)[1];
  const r = await fetch(`${BASE}/api/v1/invoices/${id}/payments`, { headers: { Authorization: `Bearer ${DEMO.api_key}` } });
  const { data } = await r.json();
  assert.equal(data.length, 1, 'one payment in the ledger');
  assert.equal(data[0].method, 'stripe');
  assert.equal(data[0].amount, 117585);
  await context.close();
});

test('a customer pays all open euro invoices in one go', async () => {
  const { context, page } = await phone('fr-FR');
  await openLink(page, customer('Camille Martin').link);
  await page.getByRole('heading', { level: 1, name: 'Vos factures' }).waitFor();
  const payAll = page.getByRole('button', { name: /^Tout payer en une fois/ });
  assert.equal(await payAll.count(), 1);
  await checkPage(page, '14-pay-all-fr');
  await payAll.click();
  await page.waitForURL(/\/pay\/cs_test_/);
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: /^Pay \d/ }).click();
  await page.waitForURL(/\/invoices\/inv_[0-9a-f]+\?checkout=cs_test_/);
  await page.getByRole('status').filter({ hasText: 'Votre paiement a bien été reçu' }).waitFor({ timeout: 30000 });
  await page.goto(`${BASE}/invoices`);
  await page.getByText("Vous n'avez rien à payer pour le moment.").waitFor({ timeout: 30000 });
  await context.close();
});

test('a customer pays part of a balance when the company allows it', async () => {
  const settings = await fetch(`${BASE}/api/v1/organization`, {
    method: 'PATCH',
    headers: { Authorization: `Bearer ${DEMO.api_key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ payments: { allow_partial: true, min_partial_amount: 1000, methods: ['card'] } }),
  });
  assert.equal(settings.status, 200);
  const { context, page } = await phone('en-US');
  await openLink(page, customer('Ada Lovelace').link);
  await page.locator('.card', { hasText: 'NW-1001' }).getByRole('link').click();
  await page.getByRole('heading', { level: 1, name: 'Invoice NW-1001' }).waitFor();
  await page.getByText('Pay part of the balance').click();
  await page.getByLabel('Amount to pay (USD)').fill('5');
  await page.getByRole('button', { name: 'Pay this amount' }).click();
  await page.getByRole('alert').filter({ hasText: 'Enter an amount between $10.00 and $868.10.' }).waitFor();
  await checkPage(page, '15-pay-part');
  await page.getByLabel('Amount to pay (USD)').fill('100');
  await page.getByRole('button', { name: 'Pay this amount' }).click();
  await page.waitForURL(/\/pay\/cs_test_/);
  assert.match(await page.locator('body').innerText(), /Amount in minor units: 10000/);
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: /^Pay \d/ }).click();
  await page.waitForURL(/\/invoices\/inv_[0-9a-f]+\?checkout=cs_test_/);
  // Part paid: the invoice stays open with the rest due.
  const due = page.locator('.due-now');
  await page.waitForFunction(() => document.querySelector('.due-now')?.innerText.includes('$768.10'), null, { timeout: 30000 });
  assert.match(await due.innerText(), /\$768\.10/);
  await context.close();
});
