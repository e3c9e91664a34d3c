import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twoTeams } from '../support/scenarios.js';
import { type TestApp, createTestApp, csrfTokenIn, signIn } from '../support/test-app.js';

// The import page's mapping step, when a submitted mapping is refused: the page comes back with the
// columns as the person chose them (not the mapping saved earlier), the error beside the select it
// is about, and nothing saved.

const fixtures = path.join(import.meta.dirname, '../fixtures/imports/salesforce');
const exportFiles = readdirSync(fixtures).filter((name) => name !== 'contacts-and-accounts-report.csv');

type Agent = Awaited<ReturnType<typeof signIn>>['agent'];

let t: TestApp;
let admin: Agent;
beforeAll(async () => {
  t = await createTestApp();
  const people = await twoTeams(t);
  admin = (await signIn(t.app, people.admin)).agent;
});
afterAll(() => t.close());

const decoded = (html: string) => html.replaceAll('&#x3D;', '=').replaceAll('&quot;', '"').replaceAll('&#x27;', "'").replaceAll('&amp;', '&');

async function upload() {
  const page = await admin.get('/import');
  const action = decoded(/<form method="post" action="(\/import\/vendor\?[^"]+)"/.exec(page.text)![1]!);
  let request = admin.post(action).field('from', '');
  for (const name of exportFiles) request = request.attach('files', readFileSync(path.join(fixtures, name)), name);
  const response = await request;
  expect(response.status).toBe(200);
  return decoded(response.text);
}

/** The form's fields as the page shows them: every select at its selected option. */
function formFields(html: string): Record<string, string> {
  const fields: Record<string, string> = { _csrf: csrfTokenIn(html) };
  for (const match of html.matchAll(/<select id="(map_\d+_\d+)" name="map_\d+_\d+"[^>]*>(.*?)<\/select>/g)) fields[match[1]!] = /<option value="([^"]*)" selected>/.exec(match[2]!)?.[1] ?? '';
  return fields;
}
const columnName = (html: string, header: string) => new RegExp(`<label for="(map_\\d+_\\d+)">${header}</label>`).exec(html)![1]!;
/** One column's row of the mapping table: its select and whatever is said beside it. */
const row = (html: string, name: string) => new RegExp(`<tr id="field-${name}"[^>]*>[\\s\\S]*?</tr>`).exec(html)?.[0] ?? '';
const selected = (rowHtml: string) => /<option value="([^"]*)" selected>/.exec(rowHtml)?.[1];

describe('a mapping refused on the import page', () => {
  it('comes back with the person’s choices, not the saved mapping, the error beside the select, and saves nothing', async () => {
    // Earlier, this header's Title column was saved as ignored.
    const first = await upload();
    const uploadAction = /action="(\/import\/vendor\/\d+)"/.exec(first)![1]!;
    const title = columnName(first, 'Title');
    const department = columnName(first, 'Department');
    expect(selected(row(first, title))).toBe('title');
    const checked = decoded((await admin.post(uploadAction).type('form').send({ ...formFields(first), [title]: '', action: 'check' })).text);
    expect(selected(row(checked, title))).toBe('');

    // Now Title is kept again, MobilePhone ignored, and Department sent as something that is not a field.
    const mobile = columnName(checked, 'MobilePhone');
    expect(selected(row(checked, mobile))).toBe('mobile_phone');
    const refused = await admin
      .post(uploadAction)
      .type('form')
      .send({ ...formFields(checked), [title]: 'title', [mobile]: '', [department]: 'shoe_size', action: 'check' });
    expect(refused.status).toBe(400);
    const page = decoded(refused.text);
    expect(selected(row(page, title))).toBe('title');
    expect(selected(row(page, mobile))).toBe('');
    // The refused select keeps what it showed, and says why beside it; the summary at the top links to it.
    const refusedRow = row(page, department);
    expect(refusedRow).toContain('class="has-error"');
    expect(refusedRow).toMatch(new RegExp(`<select id="${department}" name="${department}" aria-invalid="true" aria-describedby="error-${department}">`));
    expect(refusedRow).toMatch(new RegExp(`<p class="field-error" id="error-${department}">Contact\\.csv, Department: Choose one of the fields, or ignore the column</p>`));
    expect(selected(refusedRow)).toBe('');
    expect(page).toContain(`<a href="#field-${department}">Contact.csv, Department: Choose one of the fields, or ignore the column</a>`);
    // The preview below follows the choices on screen.
    expect(row(page, mobile)).toContain('ignored by you');
    expect(row(page, title)).not.toContain('ignored by you');

    // Nothing was saved: the same header uploaded again still shows the mapping saved before.
    const again = await upload();
    expect(selected(row(again, columnName(again, 'Title')))).toBe('');
    expect(selected(row(again, columnName(again, 'MobilePhone')))).toBe('mobile_phone');
  });

  it('an unknown button keeps the choices too, with the error beside the buttons', async () => {
    const first = await upload();
    const uploadAction = /action="(\/import\/vendor\/\d+)"/.exec(first)![1]!;
    const email = columnName(first, 'Email');
    const refused = await admin.post(uploadAction).type('form').send({ ...formFields(first), [email]: '', action: 'delete' });
    expect(refused.status).toBe(400);
    const page = decoded(refused.text);
    expect(selected(row(page, email))).toBe('');
    expect(page).toMatch(/<div class="actions" id="field-action">[\s\S]*<p class="field-error" id="error-action">Check again, or import<\/p>\s*<\/div>/);
  });
});
