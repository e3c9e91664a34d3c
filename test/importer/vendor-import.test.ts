import { createReadStream, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { importCsvCommand } from '../../src/importer/importer.cli.js';
import { assessOneAccount } from '../../src/risk/risk.service.js';
import { runVendorImport } from '../../src/importer/vendor-import.js';
import type { ImportFileSource } from '../../src/importer/vendor-files.js';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type TestApp, createTestApp, testNow } from '../support/test-app.js';

// The vendors' exports as they write them (test/fixtures/imports/<vendor>/), imported end to end:
// what is created, ids across files, roles, reports-to, history, risk right after, and again.

const fixtures = path.join(import.meta.dirname, '../fixtures/imports');
const filesOf = (vendor: string, only?: (name: string) => boolean): ImportFileSource[] =>
  readdirSync(path.join(fixtures, vendor))
    .filter((name) => !only || only(name))
    .map((name) => ({ name, open: () => createReadStream(path.join(fixtures, vendor, name)) }));

let t: TestApp;
let dana: CurrentUser;
beforeAll(async () => {
  t = await createTestApp();
  dana = await t.make.user({ role: 'admin', name: 'Dana Seller', email: 'dana@ourco.test' });
});
afterAll(() => t.close());

const riskClock = { now: new Date(testNow), zone: 'UTC' };
const count = async (table: 'accounts' | 'contacts' | 'touchpoints' | 'contact_roles') =>
  Number((await t.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
const accountNamed = (name: string) => t.db.selectFrom('accounts').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
const contactNamed = (name: string) => t.db.selectFrom('contacts').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
const rolesOf = async (name: string) =>
  (await t.db.selectFrom('contact_roles').select('role').where('contact_id', '=', (await contactNamed(name)).id).orderBy('role').execute()).map((row) => row.role);

describe('Salesforce Data Export', () => {
  const salesforce = () => filesOf('salesforce', (name) => name !== 'contacts-and-accounts-report.csv');

  it('a dry run reports every column, translation, owner and problem, and writes nothing', async () => {
    const before = await Promise.all([count('accounts'), count('contacts'), count('touchpoints')]);
    const report = await runVendorImport(t.db, t.clock, dana, salesforce(), { dryRun: true });
    expect(await Promise.all([count('accounts'), count('contacts'), count('touchpoints')])).toEqual(before);
    expect(report.vendor).toBe('salesforce');
    expect(report.accounts).toEqual({ created: 2, existing: 0 });
    expect(report.contacts).toEqual({ created: 4, existing: 0 });
    expect(report.touchpoints).toEqual({ created: 4, existing: 0 });
    const contactFile = report.files.find((file) => file.name === 'Contact.csv')!;
    expect(contactFile.columns.find((column) => column.header === 'ReportsToId')!.field).toBe('reports_to_id');
    expect(contactFile.columns.find((column) => column.header === 'Department')).toMatchObject({ field: null, reason: expect.any(String) });
    expect(report.translations).toContainEqual(expect.objectContaining({ field: 'roles', value: 'Economic Buyer', becomes: 'decision_maker' }));
    expect(report.translations).toContainEqual(expect.objectContaining({ field: 'status', value: 'Customer - Direct', becomes: 'customer' }));
    expect(report.unmatchedOwners).toContainEqual({ owner: 'gary@ourco.test', rows: expect.any(Number) });
    expect(report.notHistory).toBe(2);
    expect(report.problems).toEqual([{ file: 'Task.csv', line: 5, message: expect.stringContaining('00Q5e00000LeadAAA') }]);
  });

  it('imports accounts, people with title, phone, roles and reports-to, and their history as touchpoints', async () => {
    const report = await runVendorImport(t.db, t.clock, dana, salesforce());
    expect(report.problemCount).toBe(1);
    const globex = await accountNamed('Globex Corporation');
    expect(globex).toMatchObject({ status: 'customer', owner_id: dana.id });
    expect((await accountNamed('Initech')).owner_id).toBe(dana.id);
    const frank = await contactNamed('Frank Grimes');
    expect(frank).toMatchObject({ title: 'Head of "Operations"', phone: '+1 555 0102', email: 'frank@globex.example', reports_to_contact_id: (await contactNamed('Hank Scorpio')).id });
    expect((await contactNamed('Lenny Leonard')).reports_to_contact_id).toBe(frank.id);
    expect(await rolesOf('Hank Scorpio')).toEqual(['boss', 'decision_maker']);
    expect(await rolesOf('Frank Grimes')).toEqual(['user']);
    expect(await rolesOf('Bill Lumbergh')).toEqual(['decision_maker']);
    const touchpoints = await t.db.selectFrom('touchpoints').select(['kind', 'location', 'occurred_at', 'summary']).where('account_id', '=', globex.id).orderBy('occurred_at').execute();
    expect(touchpoints).toEqual([
      { kind: 'meeting', location: 'customer_office', occurred_at: '2026-11-01T15:00:00.000Z', summary: 'Quarterly review' },
      { kind: 'meeting', location: 'outside_office', occurred_at: '2026-11-10T07:30:00.000Z', summary: 'Breakfast with Hank' },
      { kind: 'email', location: 'virtual', occurred_at: '2026-11-18T09:00:00.000Z', summary: 'Email: release notes' },
      { kind: 'call', location: 'phone', occurred_at: '2026-11-20T10:00:00.000Z', summary: 'Call about invoices' },
    ]);
  });

  it('leaves the risk engine right the moment the import ends', async () => {
    const globex = await accountNamed('Globex Corporation');
    const risk = await assessOneAccount(t.db, globex.id, riskClock);
    const codes = risk.flags.map((flag) => flag.code);
    expect(codes).not.toContain('single_threaded');
    expect(codes).not.toContain('account_gone_quiet');
    expect(codes).not.toContain('decision_maker_meeting_overdue');
    expect(codes).not.toContain('no_decision_maker');
    expect(risk.level).toBe('ok');
    expect(risk.decision_maker_meeting).toMatchObject({ never_met: false, last_met_at: '2026-11-10T07:30:00.000Z' });
    // An account with no history is quiet and its decision-maker never met, as it should be.
    const initech = await assessOneAccount(t.db, (await accountNamed('Initech')).id, riskClock);
    expect(initech.decision_maker_meeting).toMatchObject({ never_met: true });
  });

  it('importing the same files again creates nothing twice', async () => {
    const before = await Promise.all([count('accounts'), count('contacts'), count('touchpoints'), count('contact_roles')]);
    const report = await runVendorImport(t.db, t.clock, dana, salesforce());
    expect(await Promise.all([count('accounts'), count('contacts'), count('touchpoints'), count('contact_roles')])).toEqual(before);
    expect(report.accounts).toEqual({ created: 0, existing: 2 });
    expect(report.contacts).toEqual({ created: 0, existing: 4 });
    expect(report.touchpoints).toEqual({ created: 0, existing: 4 });
  });

  it('reads the Contacts & Accounts report: names joined, accounts by name, reports-to by name', async () => {
    const report = await runVendorImport(t.db, t.clock, dana, filesOf('salesforce', (name) => name === 'contacts-and-accounts-report.csv'));
    expect(report.problems).toEqual([]);
    expect(report.accounts.created).toBe(2);
    expect(report.contacts.created).toBe(4);
    const marge = await contactNamed('Marge Simpson');
    expect((await contactNamed('Homer Simpson')).reports_to_contact_id).toBe(marge.id);
    expect((await contactNamed('Carl Carlson')).reports_to_contact_id).toBe(marge.id);
    const again = await runVendorImport(t.db, t.clock, dana, filesOf('salesforce', (name) => name === 'contacts-and-accounts-report.csv'));
    expect(again.contacts).toEqual({ created: 0, existing: 4 });
  });
});

describe('HubSpot exports', () => {
  it('imports companies, contacts with buying roles, and activities with their associations', async () => {
    const report = await runVendorImport(t.db, t.clock, dana, filesOf('hubspot'));
    expect(report.vendor).toBe('hubspot');
    expect(report.problems).toEqual([]);
    expect(report.accounts.created).toBe(3);
    expect(report.contacts.created).toBe(5);
    expect(report.touchpoints.created).toBe(5);
    expect(report.notHistory).toBe(1);
    const bluebay = await accountNamed('Bluebay Shipping');
    expect(bluebay.status).toBe('customer');
    expect((await accountNamed('Fjord Analytics')).status).toBe('prospect');
    expect(await rolesOf('Priya Patel')).toEqual(['decision_maker']);
    expect(await rolesOf('Ben Okafor')).toEqual(['champion', 'user']);
    expect(await rolesOf('Grace Hall')).toEqual(['boss']);
    expect(await rolesOf('Tom Reed')).toEqual(['influencer']);
    expect((await contactNamed('Ben Okafor')).phone).toBe('+44 7700 900002');
    expect(report.unmatchedOwners).toEqual([{ owner: 'gary@ourco.test', rows: 2 }]);
    const call = await t.db.selectFrom('touchpoints').select('id').where('account_id', '=', bluebay.id).where('kind', '=', 'call').executeTakeFirstOrThrow();
    const callers = await t.db.selectFrom('touchpoint_contacts').select('contact_id').where('touchpoint_id', '=', call.id).execute();
    expect(callers).toHaveLength(2);
    const coffee = await t.db.selectFrom('touchpoints').select(['location']).where('account_id', '=', bluebay.id).where('kind', '=', 'meeting').executeTakeFirstOrThrow();
    expect(coffee.location).toBe('outside_office');
    const demo = await t.db.selectFrom('touchpoints').select(['location']).where('account_id', '=', (await accountNamed('Harbour Foods')).id).executeTakeFirstOrThrow();
    expect(demo.location).toBe('virtual');
    const risk = await assessOneAccount(t.db, bluebay.id, riskClock);
    expect(risk.flags.map((flag) => flag.code)).not.toContain('decision_maker_meeting_overdue');
    expect(risk.flags.map((flag) => flag.code)).not.toContain('single_threaded');
  });
});

describe('Pipedrive exports', () => {
  it('imports organizations, people and done activities', async () => {
    const report = await runVendorImport(t.db, t.clock, dana, filesOf('pipedrive'));
    expect(report.vendor).toBe('pipedrive');
    expect(report.problems).toEqual([]);
    expect(report.accounts.created).toBe(2);
    expect(report.contacts.created).toBe(3);
    expect(report.touchpoints.created).toBe(2);
    expect(report.notHistory).toBe(2);
    expect((await accountNamed('Northwind Traders')).status).toBe('customer');
    const lunch = await t.db.selectFrom('touchpoints').select(['kind', 'location', 'occurred_at']).where('summary', '=', 'Lunch with Nancy').executeTakeFirstOrThrow();
    expect(lunch).toEqual({ kind: 'meal', location: 'outside_office', occurred_at: '2026-11-14T12:30:00.000Z' });
    expect((await contactNamed('Andrew Fuller')).last_touch_at).toBe('2026-11-21T09:00:00.000Z');
  });
});

describe('hostile files', () => {
  it('reports each bad row with its line and reason, and writes nothing of it', async () => {
    const user = await t.make.user({ role: 'admin' });
    const report = await runVendorImport(t.db, t.clock, user, filesOf('hostile'));
    const problems = Object.fromEntries(report.problems.map((problem) => [problem.line, problem.message]));
    expect(report.problems.every((problem) => problem.file === 'Contact.csv')).toBe(true);
    expect(problems[3]).toMatch(/LastName: .*spreadsheet formula/);
    expect(problems[4]).toMatch(/title: Keep it under 200 characters/);
    expect(problems[5]).toMatch(/duplicate row/);
    expect(problems[5]).toMatch(/row 2/);
    expect(problems[6]).toMatch(/001NOWHEREAAA.*not in the files/);
    expect(problems[7]).toMatch(/reports to 003NOBODYAAA/);
    expect(problems[8]).toMatch(/not UTF-8/);
    expect(report.problemCount).toBe(6);
    const umbrella = await accountNamed('Umbrella Corp');
    const people = await t.db.selectFrom('contacts').select(['name', 'title']).where('account_id', '=', umbrella.id).orderBy('name').execute();
    expect(people).toEqual([
      { name: 'Albert Wesker', title: 'Director, "Special" Projects' },
      { name: 'Boss Less', title: null },
    ]);
    expect(report.files.find((file) => file.name === 'Contact.csv')!.columns.find((column) => column.header === 'Description')).toMatchObject({ field: null });
  });

  it('refuses a file no vendor table knows, naming it, and writes nothing', async () => {
    const before = await count('accounts');
    const files = [{ name: 'mystery.csv', open: () => ['Foo,Bar\n1,2\n'] }];
    await expect(runVendorImport(t.db, t.clock, dana, files)).rejects.toMatchObject({ fields: { files: expect.stringContaining('mystery.csv') } });
    await expect(runVendorImport(t.db, t.clock, dana, [...filesOf('hubspot'), ...filesOf('pipedrive')])).rejects.toMatchObject({ fields: { files: expect.stringContaining('hubspot and pipedrive') } });
    expect(await count('accounts')).toBe(before);
  });
});

describe('two imports of the same files at once', () => {
  it('create every record once', async () => {
    const user = await t.make.user({ role: 'admin', email: 'racer@ourco.test' });
    const before = await Promise.all([count('accounts'), count('contacts'), count('touchpoints')]);
    const [first, second] = await Promise.all([runVendorImport(t.db, t.clock, user, filesOf('pipedrive')), runVendorImport(t.db, t.clock, user, filesOf('pipedrive'))]);
    const after = await Promise.all([count('accounts'), count('contacts'), count('touchpoints')]);
    expect(after[2] - before[2]).toBe(2);
    expect(first.touchpoints.created + second.touchpoints.created).toBe(2);
    // Accounts are one per owner and name, people one per account and email, whoever imports them.
    expect(after[0] - before[0]).toBe(0);
    expect(after[1] - before[1]).toBe(0);
  });
});

describe('npm run cli -- import', () => {
  it('prints the dry run, then imports, with the progress on standard error', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const files = readdirSync(path.join(fixtures, 'salesforce')).map((name) => path.join(fixtures, 'salesforce', name));
      const cliUser = await t.make.user({ role: 'admin', email: 'cli@ourco.test' });
      const before = await count('touchpoints');
      await importCsvCommand(t.db, t.clock, [...files, '--from', 'salesforce', '--as', cliUser.email, '--dry-run']);
      const dry = log.mock.calls.map((call) => String(call[0])).join('\n');
      expect(dry).toContain('Contact.csv: salesforce Contact.csv, 4 rows');
      expect(dry).toContain('ReportsToId → reports_to_id');
      expect(dry).toContain('Department → ignored');
      expect(dry).toContain('roles "Decision Maker" → decision_maker');
      expect(dry).toContain('owner "gary@ourco.test" is nobody you may import for');
      expect(dry).toMatch(/! Task\.csv row 5: .*00Q5e00000LeadAAA/);
      expect(dry).toContain('Dry run: nothing was written.');
      expect(await count('touchpoints')).toBe(before);
      await importCsvCommand(t.db, t.clock, [...files, '--as', cliUser.email]);
      expect(await count('touchpoints')).toBe(before + 4);
      await expect(importCsvCommand(t.db, t.clock, [...files, '--from', 'zoho'])).rejects.toMatchObject({ fields: { from: expect.any(String) } });
    } finally {
      log.mockRestore();
    }
  });
});
