import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type BrowserApp, startBrowserApp } from './support/browser-app.js';
import { pageProblems } from './support/page-checks.js';

let t: BrowserApp;
let page: Page;
beforeAll(async () => {
  t = await startBrowserApp();
  page = await t.signedIn('phone');
});
afterAll(() => t?.close());

/**
 * What a screen reader user meets after a failed save: an alert listing the problems, each a link
 * to its field, and each field described by its own error message.
 */
async function announcedErrors(page: Page) {
  return page.evaluate(() => {
    const alert = document.querySelector('[role="alert"]');
    const links = [...(alert?.querySelectorAll('a[href^="#"]') ?? [])].map((link) => {
      const target = document.getElementById(decodeURIComponent(link.getAttribute('href')!.slice(1)));
      return { text: link.textContent?.trim(), linksToAField: target !== null && target.matches('input, select, textarea, fieldset') };
    });
    const invalidFields = [...document.querySelectorAll('[aria-invalid="true"]')].map((field) => {
      const described = (field.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent?.trim() ?? '');
      return { name: field.getAttribute('name'), describedBy: described.filter(Boolean).join(' ') };
    });
    return { alert: alert?.textContent?.trim() ?? null, links, invalidFields };
  });
}

it('a new account without a name: the alert links to the field, which carries its message', async () => {
  await page.goto('/accounts/new');
  await page.getByRole('button', { name: 'Save account' }).click();
  const errors = await announcedErrors(page);
  expect(errors.alert).not.toBeNull();
  expect(errors.links.length).toBeGreaterThan(0);
  expect(errors.links.every((link) => link.linksToAField)).toBe(true);
  expect(errors.invalidFields).toContainEqual({ name: 'name', describedBy: expect.stringMatching(/\S/) });
  expect(await pageProblems(page)).toEqual([]);
});

it('a touchpoint whose new person has no name: the error sits beside that row and the alert links to it', async () => {
  await page.goto(`/accounts/${await t.accountId('Harbor Dental Group')}/touchpoints/new`);
  await page.getByRole('group', { name: 'Met someone new?' }).getByLabel('Title', { exact: true }).first().fill('Office Manager');
  await page.getByLabel('Summary (may be shown to the customer)').fill('Met the new office manager.');
  await page.getByRole('button', { name: 'Save touchpoint' }).click();
  const errors = await announcedErrors(page);
  expect(errors.links.length).toBeGreaterThan(0);
  expect(errors.links.every((link) => link.linksToAField)).toBe(true);
  expect(errors.invalidFields.map((field) => field.name)).toContain('new_contacts[0][name]');
  expect(errors.invalidFields.every((field) => field.describedBy !== '')).toBe(true);
  // The rep's typing is kept.
  await expect(page.getByLabel('Summary (may be shown to the customer)').inputValue()).resolves.toBe('Met the new office manager.');
  expect(await pageProblems(page)).toEqual([]);
});

it('a departure without a date: announced, linked and described', async () => {
  await page.goto(`/contacts/${await t.contactId('Maria Lopez')}/departure`);
  await page.getByLabel('The day they leave, or the day they left').fill('');
  await page.getByRole('button', { name: 'Save and start the playbook' }).click();
  const errors = await announcedErrors(page);
  expect(errors.links.length).toBeGreaterThan(0);
  expect(errors.links.every((link) => link.linksToAField)).toBe(true);
  expect(errors.invalidFields).toContainEqual({ name: 'left_on', describedBy: expect.stringMatching(/\S/) });
  expect(await pageProblems(page)).toEqual([]);
});

it('shows where the keyboard is: the skip link first, then a visible outline on each control', async () => {
  const fresh = await t.newPage('phone');
  await fresh.goto('/login');
  const focused = () =>
    fresh.evaluate(() => {
      const element = document.activeElement!;
      const box = element.getBoundingClientRect();
      const style = getComputedStyle(element);
      return { text: element.textContent?.trim() || element.getAttribute('name'), onScreen: box.left >= 0 && box.top >= 0, outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2 };
    });
  await fresh.keyboard.press('Tab');
  expect(await focused()).toEqual({ text: 'Skip to content', onScreen: true, outline: true });
  await fresh.keyboard.press('Tab');
  expect(await focused()).toEqual({ text: 'email', onScreen: true, outline: true });
});
