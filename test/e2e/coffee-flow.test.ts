import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type BrowserApp, startBrowserApp } from './support/browser-app.js';

let t: BrowserApp;
beforeAll(async () => {
  t = await startBrowserApp();
});
afterAll(() => t?.close());

/** Drives the page like a rep's thumb, counting every tap and every field touched. */
function countingThumb(page: Page) {
  let interactions = 0;
  return {
    get interactions() {
      return interactions;
    },
    async tap(role: 'link' | 'button', name: string, within = 'body') {
      interactions += 1;
      await page.locator(within).getByRole(role, { name, exact: true }).click();
    },
    async tick(label: string) {
      interactions += 1;
      await page.getByLabel(label).check();
    },
    async fill(label: string, value: string) {
      interactions += 1;
      await page.getByLabel(label, { exact: true }).first().fill(value);
    },
    async choose(label: string, option: string) {
      interactions += 1;
      await page.getByLabel(label, { exact: true }).first().selectOption({ label: option });
    },
    /** Typing the summary is the one part no form can save a rep from; it is not counted. */
    async typeSummary(text: string) {
      await page.getByLabel('Summary (may be shown to the customer)').fill(text);
    },
  };
}

async function logCoffee(page: Page, newcomer: string, { tapLocation }: { tapLocation: boolean }) {
  const thumb = countingThumb(page);
  await thumb.tap('link', 'Harbor Dental Group', '.account-list');
  await thumb.tap('link', 'Log a touchpoint');
  await thumb.tick('Coffee');
  if (tapLocation) await thumb.tick('Outside the office');
  await thumb.tick('Maria Lopez (Decision-maker)');
  await thumb.fill('Name', newcomer);
  await thumb.choose('Role', 'Influencer');
  await thumb.typeSummary('Coffee at 7:30; Maria brought their new IT lead.');
  await thumb.tap('button', 'Save touchpoint');
  await page.waitForURL(`**/accounts/${await t.accountId('Harbor Dental Group')}`);
  return thumb.interactions;
}

async function lastTouchpoint() {
  const account = await t.accountId('Harbor Dental Group');
  const touchpoint = await t.db.selectFrom('touchpoints').select(['id', 'kind', 'location']).where('account_id', '=', account).orderBy('id', 'desc').executeTakeFirstOrThrow();
  const people = await t.db
    .selectFrom('touchpoint_contacts')
    .innerJoin('contacts', 'contacts.id', 'touchpoint_contacts.contact_id')
    .select('contacts.name')
    .where('touchpoint_contacts.touchpoint_id', '=', touchpoint.id)
    .orderBy('contacts.name')
    .execute();
  return { kind: touchpoint.kind, location: touchpoint.location, people: people.map((person) => person.name) };
}

it('logs a coffee with one known and one new person in at most 8 taps or fields on a phone', async () => {
  const page = await t.signedIn('phone');
  const interactions = await logCoffee(page, 'Sam Rivera', { tapLocation: false });

  expect(interactions).toBeLessThanOrEqual(8);
  await expect(page.getByRole('status').textContent()).resolves.toMatch(/^Logged coffee with Maria Lopez, Sam Rivera · added Sam Rivera \(influencer\)/);
  // Choosing coffee put it outside the office, so it counts as the decision-maker meeting.
  expect(await lastTouchpoint()).toEqual({ kind: 'coffee', location: 'outside_office', people: ['Maria Lopez', 'Sam Rivera'] });
});

it('takes one tap more without JavaScript, and still works', async () => {
  const page = await t.signedIn('phone', undefined, { javaScriptEnabled: false });
  const interactions = await logCoffee(page, 'Alex Moreno', { tapLocation: true });

  expect(interactions).toBeLessThanOrEqual(8);
  expect(await lastTouchpoint()).toEqual({ kind: 'coffee', location: 'outside_office', people: ['Alex Moreno', 'Maria Lopez'] });
});
