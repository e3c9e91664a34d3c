import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { importCsvCommand } from '../../src/importer/importer.cli.js';
import { type TestApp, createTestApp, csrfTokenIn, signIn } from '../support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const counts = async () => ({
  accounts: (await t.db.selectFrom('accounts').select('id').execute()).length,
  contacts: (await t.db.selectFrom('contacts').select('id').execute()).length,
});

const goodCsv = [
  'account,status,customer_since,name,title,email,roles,birthday,preferred_channel',
  'Copiers Inc,customer,2019-04-01,"Lopez, Maria","Head of\nOperations",maria@copiers.test,Decision-maker; boss,02-29,Phone',
  'Copiers Inc,,,Jon Park,,,user,,',
  'Toner Co,prospect,,,,,,,',
].join('\r\n');

/** Every kind of bad row, behind a UTF-8 byte-order mark. */
const badCsv =
  '\uFEFF' +
  [
    'Account,Name,Email,Roles,Started in role on,Birthday,Shoe size',
    ',Nameless Account,a@x.test,,,,',
    'Acme,,b@x.test,user,,,',
    'Acme,Carla,c@x.test,wizard,,,',
    'Acme,Dan,d@x.test,,2026-13-01,,',
    'Acme,Erin,e@x.test,,,31-12,',
    'Acme,Frank,c@x.test,,,,',
    '"Quotes, Commas & Co","Gina ""G"" Li",gina@x.test,influencer,,,',
  ].join('\n');

type Agent = Awaited<ReturnType<typeof signIn>>['agent'];

/** Opens the import page and posts the CSV like a person: pasted into the box, or chosen as a file. */
async function previewImport(agent: Agent, csv: string | Buffer, as: 'pasted' | 'file' = 'pasted') {
  const page = await agent.get('/import');
  const action = /<form method="post" action="([^"]+)" enctype="multipart\/form-data"/.exec(page.text)![1]!.replaceAll('&#x3D;', '=');
  const request = agent.post(action);
  return as === 'pasted' ? request.field('csv', csv.toString()) : request.attach('file', Buffer.from(csv), 'accounts.csv');
}

/** Presses "Import" on a preview. */
async function confirmImport(agent: Agent, preview: { text: string }) {
  const action = /action="(\/import\/\d+)"/.exec(preview.text)![1]!;
  return agent.post(action).type('form').send({ _csrf: csrfTokenIn(preview.text) });
}

/** Previews and imports. */
async function importCsv(agent: Agent, csv: string | Buffer) {
  return confirmImport(agent, await previewImport(agent, csv));
}

describe('CSV import page', () => {
  it('previews a file full of bad rows, naming each problem, and writes nothing', async () => {
    const rep = await t.make.user();
    const { agent } = await signIn(t.app, rep);
    const before = await counts();
    const preview = await previewImport(agent, badCsv, 'file');
    expect(preview.status).toBe(200);
    const problems = [...preview.text.matchAll(/<tr><td>(\d+)<\/td><td>(.*?)<\/td><\/tr>/g)].map(([, row, message]) => `${row}: ${message}`);
    expect(problems).toEqual([
      '2: account: Name is required',
      '3: name: Name is required',
      '4: roles: Roles are decision_maker, boss, user, influencer, champion',
      '5: started_in_role_on: Not a real date',
      '6: birthday: Not a real date',
      '7: email: c@x.test is also on row 4',
    ]);
    expect(preview.text).toContain('Columns ignored: shoe_size');
    expect(preview.text).toContain('Quotes, Commas &amp; Co');
    expect(preview.text).toContain('Gina &quot;G&quot; Li');
    expect(await counts()).toEqual(before);
  });

  it('imports on confirmation, and importing the same file again creates nothing', async () => {
    const rep = await t.make.user();
    const { agent } = await signIn(t.app, rep);
    const preview = await previewImport(agent, goodCsv);
    expect(preview.text).toContain('<strong>2</strong> new accounts, <strong>2</strong> new contacts');
    expect(preview.text).toContain(`Copiers Inc <span class="muted">· Customer · owner ${rep.name}</span>`);
    const before = await counts();
    const imported = await confirmImport(agent, preview);
    expect(imported.status).toBe(302);
    expect(await counts()).toEqual({ accounts: before.accounts + 2, contacts: before.contacts + 2 });
    const maria = await t.db.selectFrom('contacts').selectAll().where('email', '=', 'maria@copiers.test').executeTakeFirstOrThrow();
    expect(maria).toMatchObject({ name: 'Lopez, Maria', title: 'Head of\nOperations', birthday: '02-29', preferred_channel: 'phone' });
    const roles = await t.db.selectFrom('contact_roles').select('role').where('contact_id', '=', maria.id).orderBy('role').execute();
    expect(roles.map((row) => row.role)).toEqual(['boss', 'decision_maker']);
    const copiers = await t.db.selectFrom('accounts').selectAll().where('id', '=', maria.account_id).executeTakeFirstOrThrow();
    expect(copiers).toMatchObject({ owner_id: rep.id, status: 'customer', customer_since: '2019-04-01' });
    expect((await agent.get('/accounts')).status).toBe(200);

    const again = await previewImport(agent, goodCsv, 'file');
    expect(again.text).toContain('<strong>0</strong> new accounts, <strong>0</strong> new contacts');
    expect(again.text).toContain('2 accounts and 2 contacts already here');
    expect(again.text).toContain('Nothing new to import');
    // "Import" pressed twice: the staged file is gone after the first.
    expect((await confirmImport(agent, preview)).status).toBe(404);
    expect(await counts()).toEqual({ accounts: before.accounts + 2, contacts: before.contacts + 2 });
  });

  it("will not put accounts in another team's name", async () => {
    const { rep } = await t.make.team('Home');
    const { rep: stranger } = await t.make.team('Away');
    const { agent } = await signIn(t.app, rep);
    const before = await counts();
    const preview = await previewImport(agent, `account,owner_email\nStolen Ltd,${stranger.email}\n`);
    expect(preview.text).toContain(`owner_email: ${stranger.email} is not someone whose accounts you may import`);
    expect(await counts()).toEqual(before);
  });

  it("answers 404 to anyone but the uploader who tries to import their staged file, and imports nothing", async () => {
    const { rep, manager } = await t.make.team('Stagers');
    const { rep: stranger } = await t.make.team('Outsiders');
    const owner = await signIn(t.app, rep);
    const preview = await previewImport(owner.agent, 'account,name\nPrivate Staging Co,Pia Moss\n');
    const before = await counts();
    for (const other of [stranger, manager]) {
      const { agent } = await signIn(t.app, other);
      const page = await agent.get('/import');
      const action = /action="(\/import\/\d+)"/.exec(preview.text)![1]!;
      expect((await agent.post(action).type('form').send({ _csrf: csrfTokenIn(page.text) })).status).toBe(404);
    }
    expect(await counts()).toEqual(before);
    expect((await confirmImport(owner.agent, preview)).status).toBe(302);
  });

  it('explains a file it cannot use', async () => {
    const rep = await t.make.user();
    const { agent } = await signIn(t.app, rep);
    const staged = await t.db.selectFrom('import_uploads').select('id').execute();
    const empty = await previewImport(agent, '');
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('Choose a CSV file or paste the CSV');
    const noHeader = await previewImport(agent, 'Acme,Maria\n');
    expect(noHeader.status).toBe(400);
    expect(noHeader.text).toContain('The first line must name the columns');
    expect(noHeader.text).toContain('Acme,Maria');
    expect(await t.db.selectFrom('import_uploads').select('id').execute()).toEqual(staged);
  });
});

describe('a company-sized spreadsheet', () => {
  it('is previewed and imported through the page, though it is far larger than any other form', async () => {
    const rep = await t.make.user();
    const { agent } = await signIn(t.app, rep);
    const rows = Array.from({ length: 6000 }, (_, index) => `Big Customer ${Math.floor(index / 10)},customer,Person ${index},Purchasing lead for the north-east region,person${index}@big.test,user`);
    const csv = ['account,status,name,title,email,roles', ...rows].join('\n');
    expect(csv.length).toBeGreaterThan(500_000);
    const before = await counts();
    const preview = await previewImport(agent, csv, 'file');
    expect(preview.status).toBe(200);
    expect(preview.text).toContain('<strong>600</strong> new accounts, <strong>6000</strong> new contacts');
    expect(preview.text).toContain('<strong>0</strong> rows with problems');
    const imported = await confirmImport(agent, preview);
    expect(imported.status).toBe(302);
    expect(await counts()).toEqual({ accounts: before.accounts + 600, contacts: before.contacts + 6000 });
  });
});

describe('npm run cli -- import FILE.csv', () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'buychain-import-'));
  const fileWith = (name: string, text: string) => {
    const file = path.join(folder, name);
    writeFileSync(file, text);
    return file;
  };

  it('prints the preview and writes nothing with --dry-run, imports without it, and is idempotent', async () => {
    const rep = await t.make.user({ email: 'cli-rep@example.com' });
    const file = fileWith('accounts.csv', goodCsv.replaceAll('Copiers Inc', 'CLI Copiers').replaceAll('Toner Co', 'CLI Toner').replaceAll('maria@', 'cli-maria@'));
    const output: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void output.push(line));
    try {
      const before = await counts();
      await importCsvCommand(t.db, t.clock, [file, '--as', rep.email, '--dry-run']);
      expect(output.join('\n')).toContain('2 new accounts, 2 new contacts');
      expect(output.join('\n')).toContain('Dry run: nothing was written.');
      expect(await counts()).toEqual(before);

      await importCsvCommand(t.db, t.clock, [file, '--as', rep.email]);
      expect(output.at(-1)).toBe('Imported 2 accounts and 2 contacts as cli-rep@example.com.');
      await importCsvCommand(t.db, t.clock, [file, '--as', rep.email]);
      expect(output.at(-1)).toBe('Imported 0 accounts and 0 contacts as cli-rep@example.com.');
      expect(await counts()).toEqual({ accounts: before.accounts + 2, contacts: before.contacts + 2 });

      await importCsvCommand(t.db, t.clock, [fileWith('bad.csv', badCsv), '--as', rep.email, '--dry-run']);
      expect(output.join('\n')).toContain('! row 7: email: c@x.test is also on row 4');
    } finally {
      log.mockRestore();
    }
  });

  it('says what is wrong with the user or the file', async () => {
    await expect(importCsvCommand(t.db, t.clock, [path.join(folder, 'missing.csv'), '--as', 'nobody@example.com'])).rejects.toMatchObject({ fields: { as: 'No user has the email nobody@example.com' } });
    const rep = await t.make.user();
    await expect(importCsvCommand(t.db, t.clock, [path.join(folder, 'missing.csv'), '--as', rep.email])).rejects.toMatchObject({ fields: { file: expect.stringContaining('Cannot read') } });
  });
});
