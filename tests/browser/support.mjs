// What the browser journeys share: the addresses of the running stack,
// a headless Chromium (Debian's) with a 360-pixel phone screen, an axe-core
// check of each page with a screenshot, and the local outbox. Not a test
// file itself (`node --test` runs only `*.test.mjs`).

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export function must(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the browser tests with \`cargo xtask test\``);
  return v;
}

export const BASE = must('SETTLE_BASE_URL');
export const MAIL = must('SETTLE_MAIL_URL');
export const SHOTS = process.env.SETTLE_SCREENSHOTS || 'target/screenshots';
fs.mkdirSync(SHOTS, { recursive: true });

let browser;
/** Starts Chromium before the file's tests and closes it after them. */
export function useBrowser() {
  before(async () => {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
    });
  });
  after(async () => browser?.close());
}

/** A phone-sized page; a page error fails the test. `extra` adds context
 *  options (`bypassCSP` lets axe run on a page whose CSP forbids scripts). */
export async function phone(locale = 'en-US', extra = {}) {
  const context = await browser.newContext({ viewport: { width: 360, height: 780 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale, ...extra });
  const page = await context.newPage();
  page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
  return { context, page };
}

/** A page of the given size (a laptop's, a tablet's); a page error fails the test. */
export async function newPage(viewport, locale = 'en-US') {
  const context = await browser.newContext({ viewport, locale });
  const page = await context.newPage();
  page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
  return { context, page };
}

/** No serious or critical axe violation, no sideways scrolling, and a screenshot. */
export async function checkPage(page, name) {
  // The page as the portal drew it, not the landing page's skeleton.
  await page.locator('#boot').waitFor({ state: 'detached' });
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(bad, [], `axe on ${name}`);
  const [overflow, width] = await page.evaluate(() => [document.documentElement.scrollWidth - window.innerWidth, window.innerWidth]);
  assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow}px on a ${width}px screen`);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** The latest email to `to` that `predicate` accepts, waiting for it. */
/** Polls `check` (async) until it returns a truthy value, which it
 * answers; fails saying `what` after `timeoutMs`. */
export async function eventually(check, what, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await check();
    if (v) return v;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

export async function waitForMail(to, predicate, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await fetch(`${MAIL}/api/messages?to=${encodeURIComponent(to)}`);
    const { data } = await r.json();
    const found = data.filter(predicate);
    if (found.length) return found[found.length - 1];
    await new Promise((res) => setTimeout(res, 250));
  }
  throw new Error(`no email to ${to} within ${timeoutMs} ms`);
}

/** Opens a customer's link and waits until the portal has drawn the page
 * itself: the link answers a landing page whose skeleton (`#boot`, with the
 * heading) shows before the portal runs. */
export async function openLink(page, url) {
  await page.goto(url);
  await page.locator('#boot').waitFor({ state: 'detached' });
}

/** Opens the newest email to `to` in the outbox and clicks its Sign in button. */
export async function signInFromOutbox(page, to, since) {
  const mail = await waitForMail(to, (m) => m.subject.startsWith('Sign in to') && m.received_at_ms >= since - 1000);
  await page.goto(`${MAIL}/messages/${mail.id}`);
  await page.getByRole('link', { name: 'Sign in' }).first().click();
  await page.waitForURL(/\/console\/customers$/);
  await page.getByRole('heading', { level: 1, name: 'Customers' }).waitFor();
}


/** A new organization of its own with a first admin (invited by email),
 *  made through the operator API; answers the organization, its id and
 *  `api(path, body)`, which calls the company API with its key (POST with
 *  a body, GET without). */
export async function newOrganization({ name, branding, admin }) {
  const made = await fetch(`${BASE}/api/v1/organizations`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${must('SETTLE_OPERATOR_TOKEN')}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, branding, admin }),
  });
  assert.equal(made.status, 201);
  const org = await made.json();
  const api = (path, body) => fetch(`${BASE}/api/v1${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { Authorization: `Bearer ${org.api_key}`, 'Content-Type': 'application/json' },
    body: body && JSON.stringify(body),
  }).then((r) => r.json());
  return { org, id: org.organization.id, api };
}
