import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twoTeams } from '../support/scenarios.js';
import { type TestApp, createTestApp, csrfTokenIn, signIn } from '../support/test-app.js';

// The import page's vendor form: several files at once, the mapping step (every column, a select
// to re-map or ignore it, translations, owners, problems) before anything is written, a saved
// mapping reused, then the import. Only the uploader may go on with an upload.

const fixtures = path.join(import.meta.dirname, '../fixtures/imports/salesforce');
const exportFiles = readdirSync(fixtures).filter((name) => name !== 'contacts-and-accounts-report.csv');

type Agent = Awaited<ReturnType<typeof signIn>>['agent'];

let t: TestApp;
let people: Awaited<ReturnType<typeof twoTeams>>;
let admin: Agent;
beforeAll(async () => {
  t = await createTestApp();
  people = await twoTeams(t);
  admin = (await signIn(t.app, people.admin)).agent;
});
afterAll(() => t.close());

const count = async (table: 'accounts' | 'contacts' | 'touchpoints') => Number((await t.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
const decoded = (html: string) => html.replaceAll('&#x3D;', '=').replaceAll('&quot;', '"').replaceAll('&#x27;', "'").replaceAll('&amp;', '&');

async function upload(agent: Agent, files: { name: string; bytes: Buffer }[], from = '') {
  const page = await agent.get('/import');
  const action = decoded(/<form method="post" action="(\/import\/vendor\?[^"]+)"/.exec(page.text)![1]!);
  let request = agent.post(action).field('from', from);
  for (const file of files) request = request.attach('files', file.bytes, file.name);
  return request;
}

const salesforceFiles = () => exportFiles.map((name) => ({ name, bytes: readFileSync(path.join(fixtures, name)) }));
/** The form's fields as the page shows them: every select at its selected option. */
function formFields(html: string): Record<string, string> {
  const fields: Record<string, string> = { _csrf: csrfTokenIn(html) };
  for (const match of html.matchAll(/<select id="(map_\d+_\d+)" name="map_\d+_\d+">(.*?)<\/select>/g)) fields[match[1]!] = /<option value="([^"]*)" selected>/.exec(match[2]!)?.[1] ?? '';
  return fields;
}
const columnName = (html: string, header: string) => new RegExp(`<label for="(map_\\d+_\\d+)">${header}</label>`).exec(html)![1]!;

describe('importing a Salesforce export on the page', () => {
  let previewHtml = '';
  let uploadAction = '';

  it('shows every column, the translations, the unmatched owners and the problem rows, and writes nothing', async () => {
    const agent = admin;
    const before = await count('contacts');
    const response = await upload(agent, salesforceFiles());
    expect(response.status).toBe(200);
    previewHtml = decoded(response.text);
    uploadAction = /action="(\/import\/vendor\/\d+)"/.exec(previewHtml)![1]!;
    expect(previewHtml).toContain('Contact.csv');
    expect(previewHtml).toMatch(/<label for="map_\d+_\d+">ReportsToId<\/label>/);
    expect(previewHtml).toMatch(/<option value="reports_to_id" selected>/);
    expect(previewHtml).toContain('not something Buychain keeps for contacts');
    expect(previewHtml).toMatch(/<td>Executive Sponsor<\/td><td>boss<\/td>/);
    expect(previewHtml).toContain('gary@ourco.test');
    expect(previewHtml).toMatch(/<td>Task\.csv<\/td><td>5<\/td><td>[^<]*00Q5e00000LeadAAA/);
    expect(await count('contacts')).toBe(before);
  });

  it('refuses the upload to anyone but the uploader, and imports nothing', async () => {
    const { agent } = await signIn(t.app, people.outsider);
    const page = await agent.get('/import');
    const before = await count('contacts');
    const response = await agent.post(uploadAction).type('form').send({ _csrf: csrfTokenIn(page.text), action: 'import' });
    expect(response.status).toBe(404);
    expect(await count('contacts')).toBe(before);
  });

  it('re-maps a column, keeps the choice for the next file with the same header, then imports', async () => {
    const agent = admin;
    const title = columnName(previewHtml, 'Title');
    const checked = decoded((await agent.post(uploadAction).type('form').send({ ...formFields(previewHtml), [title]: '', action: 'check' })).text);
    expect(checked).toMatch(new RegExp(`<label for="${title}">Title</label></td>\\s*<td><select[^>]*><option value="" selected>`));
    expect(checked).toContain('ignored by you');

    // The same header, uploaded again: the column is still ignored.
    const again = decoded((await upload(agent, salesforceFiles())).text);
    expect(again).toMatch(new RegExp(`<label for="${columnName(again, 'Title')}">Title</label></td>\\s*<td><select[^>]*><option value="" selected>`));

    const before = await count('touchpoints');
    const imported = await agent.post(uploadAction).type('form').send({ ...formFields(checked), action: 'import' });
    expect(imported.status).toBe(302);
    expect(await count('touchpoints')).toBe(before + 4);
    const frank = await t.db.selectFrom('contacts').select(['title', 'reports_to_contact_id']).where('email', '=', 'frank@globex.example').executeTakeFirstOrThrow();
    expect(frank.title).toBeNull();
    expect(frank.reports_to_contact_id).not.toBeNull();
  });

  it('says which file it cannot read, and keeps the choice made', async () => {
    const agent = admin;
    const response = await upload(agent, [{ name: 'mystery.csv', bytes: Buffer.from('Foo,Bar\n1,2\n') }], 'hubspot');
    expect(response.status).toBe(400);
    expect(decoded(response.text)).toContain('mystery.csv');
    expect(response.text).toMatch(/<option value="hubspot" selected>/);
  });

  it('refuses files over the page limit together with 413, pointing to the command line, and keeps nothing', async () => {
    const chunks = async () => (await t.db.selectFrom('import_file_chunks').select('upload_id').execute()).length;
    const before = await chunks();
    const half = Buffer.alloc(11 * 1024 * 1024, 'a,b\n');
    const response = await upload(admin, [
      { name: 'one.csv', bytes: half },
      { name: 'two.csv', bytes: half },
    ]);
    expect(response.status).toBe(413);
    expect(response.text).toContain('command line');
    expect(await chunks()).toBe(before);
  });
});
