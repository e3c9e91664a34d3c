import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserApp, type Size, startBrowserApp } from './support/browser-app.js';

let t: BrowserApp;
beforeAll(async () => {
  t = await startBrowserApp();
});
afterAll(() => t?.close());

// Each size works on its own accounts of the demo company, so the two runs never meet.
const cases: { size: Size; account: string; known: string; newcomer: string; leaver: string; leaverAccount: string; destination: string }[] = [
  { size: 'phone', account: 'Summit Realty', known: 'Derek Olsen', newcomer: 'Jordan Blake', leaver: 'Sandra Lee', leaverAccount: 'Pinecrest Medical Center', destination: 'Lakeview Clinic' },
  { size: 'laptop', account: 'Cedar Ridge School District', known: 'Angela Brooks', newcomer: 'Morgan Hale', leaver: 'Helen Park', leaverAccount: 'Bluewater Law LLP', destination: 'Hartley & Stone LLP' },
];

describe.each(cases)('a rep at $size size', ({ size, account, known, newcomer, leaver, leaverAccount, destination }) => {
  it('signs in, logs a meeting with a new contact added inline, and finds both on the account page', async () => {
    const page = await t.signedIn(size);
    await page.locator('.account-list').getByRole('link', { name: account }).click();
    await page.getByRole('link', { name: 'Log a touchpoint' }).click();
    await page.getByRole('heading', { level: 1, name: 'Log a touchpoint' }).waitFor();

    await page.getByLabel('Meeting', { exact: true }).check();
    await page.getByLabel(known, { exact: false }).first().check();
    const newPerson = page.getByRole('group', { name: 'Met someone new?' });
    await newPerson.getByLabel('Name', { exact: true }).first().fill(newcomer);
    await newPerson.getByLabel('Title', { exact: true }).first().fill('Office Manager');
    await page.getByLabel('Summary (may be shown to the customer)').fill(`Walked ${known} and ${newcomer} through the lease renewal.`);
    await page.getByRole('button', { name: 'Save touchpoint' }).click();

    await page.waitForURL(`**/accounts/${await t.accountId(account)}`);
    await expect(page.getByRole('status').textContent()).resolves.toContain(`added ${newcomer}`);
    await page.getByRole('table').getByRole('link', { name: newcomer }).waitFor();
    await page.getByText(`Walked ${known} and ${newcomer} through the lease renewal.`).waitFor();
  });

  it('marks a decision-maker as left, walks the departure playbook and follows them to their new company', async () => {
    const page = await t.signedIn(size);
    await page.goto(`/accounts/${await t.accountId(leaverAccount)}`);
    await page.getByRole('table').getByRole('link', { name: leaver }).click();
    await page.getByRole('link', { name: 'Leaving or left?' }).click();

    await page.getByLabel('The day they leave, or the day they left').fill('2026-11-20');
    await page.getByLabel('Surprise').check();
    await page.getByLabel('Where are they going?').fill(destination);
    await page.getByRole('button', { name: 'Save and start the playbook' }).click();

    await page.waitForURL(`**/accounts/${await t.accountId(leaverAccount)}#playbook`);
    await expect(page.getByRole('status').textContent()).resolves.toContain(`${leaver} recorded as left on 20 Nov 2026`);
    const playbook = page.getByRole('region', { name: 'Recovery playbook' });
    await playbook.getByRole('heading', { name: new RegExp(`${leaver} left — 0 of \\d+ steps done`) }).waitFor();

    await playbook.getByRole('button', { name: 'Open a prospect account at their new company' }).click();
    await page.getByRole('heading', { level: 1, name: destination }).waitFor();
    await page.getByRole('table').getByRole('link', { name: leaver }).waitFor();
  });

  it('opens the printable report from the account page, without internal notes, and downloads its PDF with progress shown', async () => {
    const page = await t.signedIn(size);
    await page.goto(`/accounts/${await t.accountId('Harbor Dental Group')}`);
    await page.getByRole('link', { name: 'Print account history' }).click();
    await page.getByRole('heading', { level: 1, name: /Harbor Dental Group/ }).waitFor();
    const text = await page.locator('main').innerText();
    expect(text).toContain('Maria Lopez');
    expect(text).not.toContain('They hinted a competitor quoted 10% lower.');

    // The PDF is held back until the page has said it is being prepared.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/report.pdf*', async (route) => {
      await held;
      await route.continue();
    });
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download PDF' }).click();
    await page.getByRole('status').getByText('Preparing the PDF').waitFor();
    release();
    expect((await download).suggestedFilename()).toMatch(/\.pdf$/);
    await page.getByText('Done: the PDF is in your downloads.').waitFor();
  });
});

it('imports a CSV at phone size, saying that the work is under way and then what was done', async () => {
  const page = await t.signedIn('phone');
  /** Taps a form's button and reads what the page says before the next page arrives, then lets it go. */
  const submitAndWatch = async (button: string) => {
    // Runs after the page's own submit handler, and keeps the browser on this page for a moment.
    await page.evaluate(() => document.addEventListener('submit', (event) => event.preventDefault(), { once: true }));
    const tapped = page.getByRole('button', { name: button, exact: true });
    const form = page.locator('form', { has: tapped });
    await tapped.click();
    const said = await form.getByRole('status').textContent();
    await Promise.all([page.waitForNavigation(), form.evaluate((element: HTMLFormElement) => element.submit())]);
    return said;
  };
  await page.goto('/import');
  await page.getByLabel('CSV text').fill('account,name,roles\nBright Smile Dental,Lena Ortiz,decision_maker\n');

  expect(await submitAndWatch('Preview')).toBe('Reading the file…');
  await page.getByRole('heading', { name: 'Preview: nothing is saved yet' }).waitFor();
  expect(await submitAndWatch('Import')).toBe('Importing… on a big file this takes a little while.');
  await page.getByRole('status').getByText('Imported 1 account and 1 contact.').waitFor();
});
