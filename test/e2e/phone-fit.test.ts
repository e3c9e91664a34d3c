import os from 'node:os';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserApp, type Size, demo, startBrowserApp, viewports } from './support/browser-app.js';

// What a phone shows: Save always in reach on the touchpoint form, the common case in two screens,
// and one row of navigation behind a menu button for every role, with and without JavaScript.

let t: BrowserApp;
beforeAll(async () => {
  t = await startBrowserApp();
});
afterAll(() => t?.close());

// Looked at by people checking the layout; not kept in the repository.
const shots = path.join(os.tmpdir(), 'buychain-phone-fit');

/** Whether Save is inside the viewport, uncovered, right now. */
const saveInReach = (page: Page) =>
  page.evaluate(() => {
    const save = [...document.querySelectorAll('button')].find((button) => button.textContent?.trim() === 'Save touchpoint');
    if (!save) return false;
    const box = save.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight || box.height === 0) return false;
    return document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2) === save;
  });

async function fillTheCommonCase(page: Page) {
  await page.getByLabel('Coffee', { exact: true }).check();
  await page.getByLabel('Maria Lopez (Decision-maker)').check();
  await page.getByRole('group', { name: 'Met someone new?' }).getByLabel('Name', { exact: true }).first().fill('Sam Rivera');
  await page.getByLabel('Summary (may be shown to the customer)').fill('Coffee at 7:30; Maria brought their new IT lead.');
}

describe.each([{ javaScript: true }, { javaScript: false }])('the touchpoint form on a 390 px phone (JavaScript: $javaScript)', ({ javaScript }) => {
  it('keeps Save in reach from top to bottom, folds what is optional, and fits the common case in two screens', async () => {
    const page = await t.signedIn('phone', demo.rep, { javaScriptEnabled: javaScript });
    await page.goto(`/accounts/${await t.accountId('Harbor Dental Group')}/touchpoints/new`);
    await fillTheCommonCase(page);

    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, `touchpoint-form-phone${javaScript ? '' : '-without-javascript'}.png`), fullPage: true });
    // Two screens at most: the whole page, from the menu bar to Save (about 3.5 before the folds).
    const pageHeight = await page.evaluate(() => document.documentElement.scrollHeight);
    expect(pageHeight).toBeLessThanOrEqual(2 * viewports.phone.height);
    for (const fraction of [0, 0.25, 0.5, 0.75, 1]) {
      await page.evaluate((at) => window.scrollTo(0, at * (document.documentElement.scrollHeight - window.innerHeight)), fraction);
      expect(await saveInReach(page), `Save at ${fraction * 100}% of the page`).toBe(true);
    }
    // Optional parts are folded, and open on a tap.
    const more = page.getByText('Notes, next step and more', { exact: true });
    await expect(page.getByLabel('Internal notes (never shown to the customer)').isVisible()).resolves.toBe(false);
    await more.click();
    await expect(page.getByLabel('Internal notes (never shown to the customer)').isVisible()).resolves.toBe(true);

    // Not saved: the other size and mode start from the same account (the coffee-flow test saves this case).
  });
});

describe.each(['phone', 'laptop'] as Size[])('the navigation at %s size', (size) => {
  it.each([
    { role: 'rep', email: demo.rep },
    { role: 'manager', email: demo.manager },
    { role: 'admin', email: demo.admin },
  ])('is one row for a $role and opens with a menu button without JavaScript', async ({ role, email }) => {
    const page = await t.signedIn(size, email, { javaScriptEnabled: false });
    await page.goto('/accounts');
    const header = page.locator('.site-header');
    const headerHeight = await header.evaluate((element) => element.getBoundingClientRect().height);
    // One row: the tap height plus the bar's padding.
    expect(headerHeight).toBeLessThanOrEqual(60);
    const settings = header.getByRole('link', { name: 'Settings' });
    if (size === 'phone') {
      await expect(settings.isVisible()).resolves.toBe(false);
      await header.getByText('Menu', { exact: true }).click();
    }
    await expect(settings.isVisible()).resolves.toBe(true);
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, `nav-${role}-${size}.png`) });
    await settings.click();
    await page.waitForURL('**/settings');
  });
});
