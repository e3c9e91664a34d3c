import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { riskRules } from '../../src/risk/risk.rules.js';
import { type BrowserApp, demo, startBrowserApp } from './support/browser-app.js';

// The Flag filter on My accounts and the team view, read the way a person reads it: in a real
// Chromium, the option texts are the flags' labels (never "[object Object]"), and choosing one
// filters the list by it. The level counts never show a solid red pill for zero accounts.

let t: BrowserApp;
beforeAll(async () => {
  t = await startBrowserApp();
});
afterAll(() => t?.close());

const labels = riskRules.map((rule) => rule.label);

describe.each([
  { who: 'a rep', email: demo.rep, path: '/accounts' },
  { who: 'a manager', email: demo.manager, path: '/team' },
])('the Flag filter for $who', ({ email, path }) => {
  it('lists every flag by its label and filters by the one chosen', async () => {
    const page = await t.signedIn('laptop', email);
    await page.goto(path);
    const flag = page.getByLabel('Flag', { exact: true });
    const options = await flag.locator('option').allTextContents();
    expect(options).toEqual(['Any flag', ...labels]);
    expect(options.join(' ')).not.toContain('[object Object]');

    // The demo's Northwind Logistics: decision-maker leaving on the 23rd of next month, recovery under way.
    await flag.selectOption({ label: 'Recovery in progress' });
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/flag=recovery_in_progress/);
    const listed = await page.locator('.account-list .account-main strong').allTextContents();
    expect(listed).toContain('Northwind Logistics');
    expect(listed).not.toContain('Harbor Dental Group');
    await expect(flag.locator('option:checked').textContent()).resolves.toBe('Recovery in progress');
  });
});

it('never shows a solid red "Critical · 0" among the level counts', async () => {
  const page = await t.signedIn('phone');
  await page.goto('/accounts');
  const pills = page.locator('.level-summary .level');
  const counts = await pills.evaluateAll((elements) =>
    elements.map((element) => ({ text: element.textContent, background: getComputedStyle(element).backgroundColor, empty: element.classList.contains('level-none') })),
  );
  expect(counts.length).toBeGreaterThanOrEqual(5);
  for (const pill of counts.filter((count) => / · 0$/.test(count.text ?? ''))) {
    expect(pill.empty).toBe(true);
    expect(pill.background).toBe('rgb(255, 255, 255)');
  }
});
