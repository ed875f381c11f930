// The collections workspace in the console, for an organization of its
// own on its own demo clock: the admin opens the worklist (worst payer
// first, with the reasons), deals the accounts by rules after a preview,
// logs a call on the top account, schedules a follow-up that alerts when
// the clock reaches it, opens the evidence pack (checked in the page) and
// the collection letter. Laptop and phone widths; axe and screenshots.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { BASE, SHOTS, must, useBrowser, checkPage, newPage, signInFromOutbox, newOrganization } from './support.mjs';

const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 360, height: 780 };

useBrowser();

async function operator(org, path, body) {
  const r = await fetch(`${BASE}/api/v1/operator/${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${must('SETTLE_OPERATOR_TOKEN')}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ ...body, organization_id: org }),
  });
  assert.ok(r.ok, `operator ${path}: ${r.status}`);
  return r.json();
}

test('an admin works the worklist: ranks, rules, a call, a follow-up that alerts, evidence and a letter', async () => {
  const stamp = Date.now();
  const adminEmail = `admin-${stamp}@globex.example`;
  const { id: org, api } = await newOrganization({
    name: `Globex ${stamp}`,
    branding: { display_name: 'Globex', primary_color: '#0f766e', support_email: 'ar@globex.example' },
    admin: { name: 'Hank Scorpio', email: adminEmail },
  });
  const customers = {};
  for (const [name, cents, due] of [['Quinn Quick', 12000, '2026-11-20'], ['Wade Worst', 480000, '2026-07-01'], ['Mona Middle', 90000, '2026-10-01']]) {
    const c = await api('/customers', { name, email: `${name.split(' ')[0].toLowerCase()}-${stamp}@example.com` });
    customers[name] = c.id;
    const inv = await api('/invoices', {
      customer_id: c.id, number: `G-${name[0]}-${stamp}`, currency: 'EUR', issue_date: '2026-06-01', due_date: due,
      lines: [{ description: 'Consulting', quantity: 1, unit_amount: cents }],
    });
    assert.ok(inv.id, JSON.stringify(inv));
  }
  const { page } = await newPage(LAPTOP);
  await signInFromOutbox(page, adminEmail, stamp);
  await page.getByRole('link', { name: 'Worklist' }).click();
  await page.getByRole('heading', { level: 1, name: 'Worklist' }).waitFor();
  await page.getByText('Overdue accounts: 3').waitFor();
  const names = await page.locator('table.worklist tbody tr td:nth-child(2)').allInnerTexts();
  assert.deepEqual(names, ['Wade Worst', 'Mona Middle', 'Quinn Quick']);
  const top = page.locator('table.worklist tbody tr').first();
  await top.getByText(/^Days past due: \d+/).waitFor();
  await top.getByText(/€4,800\.00 overdue/).waitFor();
  await checkPage(page, '70-console-worklist');

  // Deal every account to the admin by a rule, after a preview.
  const rules = page.locator('section').filter({ has: page.getByRole('heading', { name: 'Assign by rules' }) });
  await rules.getByLabel('Agent', { exact: true }).selectOption({ label: 'Hank Scorpio' });
  await rules.getByLabel('Names from–to').fill('A-Z');
  await rules.getByRole('button', { name: 'See what it would do' }).click();
  await rules.getByRole('status').filter({ hasText: 'Accounts that would change hands: 3.' }).waitFor();
  await rules.getByRole('button', { name: 'Assign', exact: true }).click();
  await rules.getByRole('status').filter({ hasText: 'Accounts assigned: 3.' }).waitFor();
  await page.locator('table.load').getByRole('row', { name: /Hank Scorpio 3/ }).waitFor();

  // The top account: a call, then a follow-up in two hours.
  await top.getByRole('link', { name: 'Wade Worst' }).click();
  await page.getByRole('heading', { level: 1, name: 'Wade Worst' }).waitFor();
  const panel = page.locator('section.collections');
  await panel.getByLabel('Outcome').selectOption('no_answer');
  await panel.getByLabel('What was said').first().fill('Rang at 10:00, no answer; left a message.');
  await panel.getByRole('button', { name: 'Save' }).click();
  await panel.locator('ol.activities li').filter({ hasText: 'left a message' }).getByText('No answer').waitFor();
  const inTwoHours = await page.evaluate(() => {
    const d = new Date(Date.now() + 2 * 3600 * 1000);
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
  });
  await panel.getByLabel('When').fill(inTwoHours);
  await panel.locator('#task-note').fill('Call Wade back about the July invoice');
  await panel.getByRole('button', { name: 'Schedule' }).click();
  await panel.locator('ul.tasks li').filter({ hasText: 'Call Wade back' }).waitFor();
  assert.equal(await page.locator('.due-alert').count(), 0, 'not due yet');

  // The organization's clock reaches it: the alert comes on the next page.
  await operator(org, 'clock', { advance_seconds: 2 * 3600 + 120 });
  await page.getByRole('link', { name: 'Worklist' }).click();
  const alert = page.locator('.due-alert');
  await alert.getByText('Follow-ups due now: 1').waitFor();
  await alert.getByRole('link', { name: 'Wade Worst' }).waitFor();
  await checkPage(page, '71-console-follow-up-due');
  await alert.getByRole('link', { name: 'Wade Worst' }).click();
  await page.locator('ul.tasks li.due').getByRole('button', { name: 'Done' }).click();
  await page.locator('ul.tasks').waitFor({ state: 'detached' });
  await page.getByText('No follow-up planned.').waitFor();

  // The evidence pack, verified in the page.
  await page.getByRole('link', { name: 'Evidence pack' }).click();
  await page.getByRole('heading', { level: 1, name: 'Evidence pack · Wade Worst' }).waitFor();
  await page.getByRole('status').filter({ hasText: /^Verified in this page: \d+ audit rows/ }).waitFor();
  await page.getByRole('cell', { name: /Rang at 10:00/ }).waitFor();
  // Staff by name and role, not by id: the call, and the assignment.
  await page.getByRole('cell', { name: 'Hank Scorpio (admin)' }).first().waitFor();
  await checkPage(page, '72-console-evidence');

  // The letter (its own page, a strict CSP: no axe, a screenshot).
  await page.goto(`${BASE}/api/v1/customers/${customers['Wade Worst']}/letter`);
  await page.getByRole('heading', { name: 'Overdue invoices' }).waitFor();
  await page.getByText('Total due: €4,800.00').waitFor();
  await page.screenshot({ path: path.join(SHOTS, '73-collection-letter.png'), fullPage: true });

  // The dashboard: the aging as bars and, beside them, as a table.
  await page.goto(`${BASE}/console/dashboard`);
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  await page.getByRole('row', { name: 'Over 90 days €4,800.00 1' }).waitFor();
  await page.getByRole('row', { name: '61–90 days €900.00 1' }).waitFor();
  await page.getByRole('img', { name: /Over 90 days: €4,800\.00/ }).waitFor();
  // DSO and CEI month by month, as lines and as a table; the figures as CSV.
  await page.getByRole('heading', { level: 2, name: 'DSO and CEI month by month' }).waitFor();
  assert.equal(await page.locator('.months tbody tr').count(), 12);
  await page.getByRole('img', { name: /^DSO: / }).waitFor();
  const csvHref = await page.getByRole('link', { name: 'Download as CSV' }).getAttribute('href');
  assert.match(csvHref, /^\/api\/v1\/metrics\?currency=EUR&format=csv$/);
  const csvText = await page.evaluate(async (h) => (await fetch(h)).text(), csvHref);
  assert.match(csvText, /^\uFEFF?from,to,currency,sales,collected,/);
  // The cash forecast below: eight weeks as bars with their range, and as a table.
  await page.getByRole('heading', { level: 2, name: 'Cash forecast, next eight weeks' }).waitFor();
  const weeks = page.locator('.forecast tbody tr');
  await weeks.nth(7).waitFor();
  assert.equal(await weeks.count(), 8);
  await page.getByRole('img', { name: /^\d{4}-\d{2}-\d{2}: €/ }).waitFor();
  await checkPage(page, '75-console-dashboard');

  // The worklist on a phone.
  const cookies = await page.context().cookies();
  const small = await newPage(PHONE);
  await small.context.addCookies(cookies);
  await small.page.goto(`${BASE}/console/worklist`);
  await small.page.getByRole('heading', { level: 1, name: 'Worklist' }).waitFor();
  await small.page.locator('table.worklist tbody tr').first().getByRole('link', { name: 'Wade Worst' }).waitFor();
  await checkPage(small.page, '74-console-worklist-phone');
});
