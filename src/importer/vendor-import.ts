import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { visibleOwners } from '../accounts/account-access.js';
import { accountNameKey, newAccountRow } from '../accounts/accounts.service.js';
import type { AccountStatus } from '../accounts/accounts.table.js';
import { type AuditEntry, diff, recordAudits } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { contactEmailKey, newContactRow } from '../contacts/contacts.service.js';
import { newContactSchema } from '../contacts/contacts.schemas.js';
import type { ContactRole } from '../contacts/contacts.table.js';
import type { Db, DbOrTx } from '../db/database.js';
import { isOneOf } from '../db/dialect.js';
import { ValidationFailed } from '../http/errors.js';
import { fieldErrors } from '../http/validation.js';
import { riskInputsChanged } from '../risk/risk-cache.js';
import { recomputeAccountsTouchSummaries } from '../touchpoints/touch-summaries.js';
import { kindNeedsParticipants, type TouchpointKind } from '../touchpoints/touchpoints.table.js';
import type { CurrentUser } from '../users/users.service.js';
import { accountIdsOf, keyOf } from './import-run.js';
import {
  type ColumnPlan,
  type FieldRow,
  headerHash,
  idList,
  type ImportFileSource,
  instantOf,
  locationOf,
  type MappingChoice,
  personName,
  planColumns,
  readFieldRows,
  readHeader,
  recogniseFile,
} from './vendor-files.js';
import { type FileKind, fileKinds, type Translation, type Vendor, type VendorFile, type VendorTable, valueKey } from './vendors/vendor-table.js';

// An import from HubSpot, Salesforce or Pipedrive: several files in one run, read in the order
// owners → accounts → contacts → roles → history, each streamed once, a batch of rows per short
// transaction. Ids across files are resolved through import_source_ids (what each record of the
// vendor became here, kept per importing user), with one indexed look-up per batch: nothing of a
// file is held in memory but the batch at hand. The same table makes the import idempotent (a
// record already imported is not created again, a record twice in the files is a problem row) and
// safe when two imports of the same files run at once (its key lets one of them create a record).
// A dry run (and the page's preview) is the same run inside one transaction that is rolled back,
// so its counts and problems are exactly what the import would do.

/** Rows per batch (and transaction) at most; fewer when a batch holds the write lock too long. */
const maxBatchRows = 5000;
const minBatchRows = 100;
/** How long one batch may hold SQLite's write lock before the next one is made smaller (as in import-run.ts). */
const batchTargetMs = 250;
/** How many problems the report lists (with the count of all). */
const defaultSampleSize = 200;
/** At most this many different owners and values are listed. */
const listedValues = 500;

export interface ImportCountPair {
  created: number;
  existing: number;
}

export interface VendorImportReport {
  vendor: Vendor;
  dryRun: boolean;
  files: { name: string; label: string; kind: FileKind; rows: number; columns: ColumnPlan[]; headerHash: string }[];
  translations: { field: 'roles' | 'status' | 'type'; value: string; becomes: string | null; rows: number }[];
  accounts: ImportCountPair;
  contacts: ImportCountPair;
  touchpoints: ImportCountPair;
  roles: number;
  reportsTo: number;
  ids: { resolved: number; unknown: number };
  unmatchedOwners: { owner: string; rows: number }[];
  /** Planned activities and to-dos: not history, so not touchpoints. */
  notHistory: number;
  problems: { file: string; line: number; message: string }[];
  problemCount: number;
}

export interface VendorImportOptions {
  from?: Vendor;
  dryRun?: boolean;
  /** Per file (by position), the columns a person re-mapped or ignored. */
  mappings?: MappingChoice[];
  sampleSize?: number;
  onProgress?: (progress: { file: string; rows: number }) => void;
}

interface PlannedFile {
  index: number;
  source: ImportFileSource;
  table: VendorTable;
  file: VendorFile;
  columns: ColumnPlan[];
}

/** What one batch found out, merged into the report once its transaction committed (a retried transaction starts a fresh one). */
interface Tally {
  problems: { line: number; message: string }[];
  accounts: ImportCountPair;
  contacts: ImportCountPair;
  touchpoints: ImportCountPair;
  roles: number;
  resolved: number;
  unknown: number;
  touched: number[];
}

const newTally = (): Tally => ({
  problems: [],
  accounts: { created: 0, existing: 0 },
  contacts: { created: 0, existing: 0 },
  touchpoints: { created: 0, existing: 0 },
  roles: 0,
  resolved: 0,
  unknown: 0,
  touched: [],
});

interface Run {
  db: Db | DbOrTx;
  user: CurrentUser;
  now: string;
  runKey: string;
  vendor: Vendor;
  sampleSize: number;
  ownerByEmail: Map<string, number>;
  ownerByName: Map<string, number>;
  /** Salesforce User.csv: user id → email and name (a company's users: a few hundred rows). */
  usersById: Map<string, { email?: string; name?: string }>;
  unmatchedOwners: Map<string, number>;
  translations: Map<string, VendorImportReport['translations'][number]>;
  touched: Set<number>;
  report: VendorImportReport;
  file: PlannedFile;
}

type SourceRow = { source_id: string; our_id: number; run_key: string; run_file: number; run_line: number };

class RolledBack extends Error {}

/** Rows per INSERT: SQLite takes at most 32,766 values in one statement. */
const rowsPerInsert = 1000;

/** Runs `insert` on the rows a statement's worth at a time, and joins the answers in order. */
async function inChunks<Row, Answer>(rows: Row[], insert: (chunk: Row[]) => Promise<Answer[]>): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let start = 0; start < rows.length; start += rowsPerInsert) answers.push(...(await insert(rows.slice(start, start + rowsPerInsert))));
  return answers;
}

const inTransaction = <T>(db: Db | DbOrTx, work: (trx: DbOrTx) => Promise<T>): Promise<T> =>
  db.isTransaction ? work(db) : (db as Db).transaction().execute(work);

function addProblem(run: Run, file: string, line: number, message: string) {
  run.report.problemCount += 1;
  if (run.report.problems.length < run.sampleSize) run.report.problems.push({ file, line, message });
}

function merge(run: Run, tally: Tally) {
  for (const problem of tally.problems) addProblem(run, run.file.source.name, problem.line, problem.message);
  for (const key of ['accounts', 'contacts', 'touchpoints'] as const) {
    run.report[key].created += tally[key].created;
    run.report[key].existing += tally[key].existing;
  }
  run.report.roles += tally.roles;
  run.report.ids.resolved += tally.resolved;
  run.report.ids.unknown += tally.unknown;
  for (const id of tally.touched) run.touched.add(id);
}

/** A value through the vendor's table: the translation, null when known and not kept, undefined when unknown. Every value is listed in the report. */
function translate<T extends string>(run: Run, field: 'roles' | 'status' | 'type', table: Translation<T>, value: string): T | null | undefined {
  const key = valueKey(value);
  const becomes = key in table ? table[key]! : undefined;
  const seen = `${field}\u0000${key}`;
  const entry = run.translations.get(seen);
  if (entry) entry.rows += 1;
  else if (run.translations.size < listedValues) run.translations.set(seen, { field, value, becomes: becomes ?? null, rows: 1 });
  return becomes;
}

/** The owner a row names (an id from User.csv, an email or a name), among those the importing user may act for; anyone else's rows go to the importing user, and the owner is listed. */
function ownerOf(run: Run, fields: FieldRow['fields']): number {
  const user = fields.owner_id ? run.usersById.get(fields.owner_id) : undefined;
  const label = fields.owner_id ? (user?.email ?? user?.name ?? fields.owner_id) : fields.owner;
  if (!label) return run.user.id;
  const found =
    (user?.email ? run.ownerByEmail.get(user.email.toLowerCase()) : undefined) ??
    run.ownerByEmail.get(label.toLowerCase()) ??
    run.ownerByName.get((user?.name ?? label).toLowerCase());
  if (found !== undefined) return found;
  if (run.unmatchedOwners.has(label) || run.unmatchedOwners.size < listedValues) run.unmatchedOwners.set(label, (run.unmatchedOwners.get(label) ?? 0) + 1);
  return run.user.id;
}

async function lookUp(db: DbOrTx, run: Run, object: string, ids: string[]): Promise<Map<string, SourceRow>> {
  const unique = [...new Set(ids)];
  const found = new Map<string, SourceRow>();
  for (let start = 0; start < unique.length; start += 1000) {
    const rows = await db
      .selectFrom('import_source_ids')
      .select(['source_id', 'our_id', 'run_key', 'run_file', 'run_line'])
      .where('scope', '=', run.user.id)
      .where('source', '=', run.vendor)
      .where('object', '=', object)
      .where('source_id', 'in', unique.slice(start, start + 1000))
      .execute();
    for (const row of rows) found.set(row.source_id, row);
  }
  return found;
}

interface Remembered {
  source_id: string;
  our_id: number;
  line: number;
  parent_source_id?: string | null;
}

/**
 * Records what these records became, stamped with this run and row. A record another import
 * recorded a moment ago keeps its first our_id: the answer says which it is.
 */
async function remember(db: DbOrTx, run: Run, object: string, rows: Remembered[], aliasesOnly = false): Promise<Map<string, number>> {
  const kept = new Map<string, number>();
  for (let start = 0; start < rows.length; start += 500) {
    const values = rows.slice(start, start + 500).map((row) => ({
      scope: run.user.id,
      source: run.vendor,
      object,
      source_id: row.source_id,
      our_id: row.our_id,
      parent_source_id: row.parent_source_id ?? null,
      run_key: run.runKey,
      run_file: run.file.index,
      run_line: row.line,
    }));
    const query = db.insertInto('import_source_ids').values(values);
    const answered = aliasesOnly
      ? await query.onConflict((conflict) => conflict.doNothing()).returning(['source_id', 'our_id']).execute()
      : await query
          .onConflict((conflict) =>
            conflict.columns(['scope', 'source', 'object', 'source_id']).doUpdateSet((eb) => ({
              run_key: eb.ref('excluded.run_key'),
              run_file: eb.ref('excluded.run_file'),
              run_line: eb.ref('excluded.run_line'),
              parent_source_id: eb.ref('excluded.parent_source_id'),
            })),
          )
          .returning(['source_id', 'our_id'])
          .execute();
    for (const row of answered) kept.set(row.source_id, row.our_id);
  }
  return kept;
}

/**
 * Splits a batch by what is known of each record: new, imported before (with what it became), or
 * a repeat of a row earlier in this run (a problem row naming that row).
 */
function sortOut<T extends { line: number; source_id: string }>(run: Run, tally: Tally, rows: T[], seen: Map<string, SourceRow>, what: string) {
  const fresh: T[] = [];
  const known: (T & { our_id: number })[] = [];
  const inBatch = new Map<string, number>();
  for (const row of rows) {
    const earlier = seen.get(row.source_id);
    const earlierLine = earlier?.run_key === run.runKey ? earlier.run_line : inBatch.get(row.source_id);
    if (earlierLine !== undefined) {
      const where = earlier?.run_key === run.runKey && earlier.run_file !== run.file.index ? `${run.report.files[earlier.run_file]?.name ?? 'another file'} row ${earlierLine}` : `row ${earlierLine}`;
      tally.problems.push({ line: row.line, message: `the same ${what} (${displayId(row.source_id)}) as ${where}: a duplicate row, skipped` });
      continue;
    }
    inBatch.set(row.source_id, row.line);
    if (earlier) known.push({ ...row, our_id: earlier.our_id });
    else fresh.push(row);
  }
  return { fresh, known };
}

const displayId = (sourceId: string) => sourceId.replace(/^(name|email):/, '');

// ——— accounts ———

interface AccountWanted {
  line: number;
  source_id: string;
  name: string;
  owner_id: number;
  status: AccountStatus;
}

/** Finds or creates accounts by owner and name (the unique key settles two imports at once). */
async function ensureAccounts(db: DbOrTx, run: Run, tally: Tally, rows: AccountWanted[]): Promise<Map<string, number>> {
  const pairs = [...new Map(rows.map((row) => [keyOf(row.owner_id, accountNameKey(row.name)), { owner_id: row.owner_id, account_key: accountNameKey(row.name) }])).values()];
  const ids = await accountIdsOf(db, pairs);
  const missing = [...new Map(rows.filter((row) => !ids.has(keyOf(row.owner_id, accountNameKey(row.name)))).map((row) => [keyOf(row.owner_id, accountNameKey(row.name)), row])).values()];
  if (missing.length > 0) {
    const values = missing
      .map((row) => newAccountRow(row.owner_id, { name: row.name, status: row.status }, run.now))
      .sort((a, b) => a.owner_id - b.owner_id || a.name_key!.localeCompare(b.name_key!));
    const created = await inChunks(values, (chunk) =>
      db.insertInto('accounts').values(chunk).onConflict((conflict) => conflict.doNothing()).returning(['id', 'owner_id', 'name_key', 'name', 'status']).execute(),
    );
    tally.accounts.created += created.length;
    const audits: AuditEntry[] = created.map((account) => ({
      entity_type: 'account',
      entity_id: account.id,
      account_id: account.id,
      user_id: run.user.id,
      action: 'created',
      changes: diff({}, { name: account.name, status: account.status }),
      context: `import from ${run.vendor}`,
      at: run.now,
    }));
    await recordAudits(db, audits);
    for (const account of created) {
      ids.set(keyOf(account.owner_id, account.name_key!), account.id);
      tally.touched.push(account.id);
    }
    if (created.length < missing.length) for (const [key, id] of await accountIdsOf(db, pairs)) ids.set(key, id);
  }
  const bySource = new Map<string, number>();
  for (const row of rows) bySource.set(row.source_id, ids.get(keyOf(row.owner_id, accountNameKey(row.name)))!);
  return bySource;
}

const nameAlias = (name: string) => `name:${accountNameKey(name)}`;

function statusOf(run: Run, value: string | undefined): AccountStatus {
  return (value ? translate(run, 'status', run.file.table.statuses, value) : undefined) ?? 'prospect';
}

async function importAccounts(run: Run, batch: FieldRow[]): Promise<Tally> {
  const wanted: AccountWanted[] = [];
  const problems: Tally['problems'] = [];
  for (const { line, fields } of batch) {
    const name = fields.name?.replace(/\s+/g, ' ');
    if (!name) problems.push({ line, message: 'the account has no name' });
    else if (name.length > 200) problems.push({ line, message: `the account name is ${name.length} characters long; keep it under 200` });
    else wanted.push({ line, source_id: fields.source_id ?? nameAlias(name), name, owner_id: ownerOf(run, fields), status: statusOf(run, fields.status) });
  }
  return inTransaction(run.db, async (trx) => {
    const tally = newTally();
    tally.problems.push(...problems);
    const seen = await lookUp(trx, run, 'account', wanted.map((row) => row.source_id));
    const { fresh, known } = sortOut(run, tally, wanted, seen, 'account');
    tally.accounts.existing += known.length;
    const created = await ensureAccounts(trx, run, tally, fresh);
    tally.accounts.existing += fresh.length - tally.accounts.created;
    const all = [...known, ...fresh.map((row) => ({ ...row, our_id: created.get(row.source_id)! }))];
    await remember(trx, run, 'account', all);
    // Contacts that name their account rather than give its id find it by name.
    await remember(trx, run, 'account', all.filter((row) => !row.source_id.startsWith('name:')).map((row) => ({ ...row, source_id: nameAlias(row.name) })), true);
    return tally;
  });
}

// ——— contacts ———

interface ContactWanted {
  line: number;
  source_id: string;
  fields: FieldRow['fields'];
  name: string;
  owner_id: number;
  account_ref?: string;
  account_name?: string;
  input: ReturnType<typeof newContactSchema.parse>;
  reports_to?: string;
}

function rolesOf(run: Run, value: string | undefined): ContactRole[] {
  const roles = new Set<ContactRole>();
  for (const role of (value ?? '').split(/[;,]/).map((part) => part.trim()).filter(Boolean)) {
    const becomes = translate(run, 'roles', run.file.table.roles, role);
    if (becomes) roles.add(becomes);
  }
  return [...roles];
}

const personAlias = (accountRef: string, name: string) => `name:${accountRef}/${name.toLowerCase()}`;

async function importContacts(run: Run, batch: FieldRow[]): Promise<Tally> {
  const wanted: ContactWanted[] = [];
  const problems: Tally['problems'] = [];
  for (const { line, fields } of batch) {
    const name = personName(fields);
    const parsed = newContactSchema.safeParse({
      name,
      title: fields.title,
      email: fields.email,
      phone: fields.phone ?? fields.mobile_phone,
      birthday: fields.birthday?.slice(0, 10),
      roles: rolesOf(run, fields.roles),
    });
    if (!parsed.success) {
      problems.push({ line, message: Object.entries(fieldErrors(parsed.error)).map(([field, message]) => `${field.split('.')[0]}: ${message}`).join('; ') });
      continue;
    }
    const accountRef = idList(fields.account_id)[0];
    if (!accountRef && !fields.account_name) {
      problems.push({ line, message: `${parsed.data.name} has no account: give the company's id or name` });
      continue;
    }
    const accountKey = accountRef ?? nameAlias(fields.account_name!);
    const emailKey = contactEmailKey(parsed.data.email);
    wanted.push({
      line,
      fields,
      name: parsed.data.name,
      source_id: fields.source_id ?? (emailKey ? `email:${emailKey}` : personAlias(accountKey, parsed.data.name)),
      owner_id: ownerOf(run, fields),
      account_ref: accountRef,
      account_name: fields.account_name,
      input: parsed.data,
      reports_to: fields.reports_to_id ?? (fields.reports_to_name ? personAlias(accountKey, fields.reports_to_name) : undefined),
    });
  }
  return inTransaction(run.db, async (trx) => {
    const tally = newTally();
    tally.problems.push(...problems);
    // Their accounts: by the account's id in the files, else by its name (created when no file has it).
    const accounts = await lookUp(trx, run, 'account', wanted.flatMap((row) => [...(row.account_ref ? [row.account_ref] : []), ...(row.account_name ? [nameAlias(row.account_name)] : [])]));
    const accountOf = (row: ContactWanted) => (row.account_ref ? accounts.get(row.account_ref)?.our_id : undefined) ?? (row.account_name ? accounts.get(nameAlias(row.account_name))?.our_id : undefined);
    const toCreate = wanted.filter((row) => accountOf(row) === undefined && row.account_name);
    if (toCreate.length > 0) {
      const created = await ensureAccounts(
        trx,
        run,
        tally,
        toCreate.map((row) => ({ line: row.line, source_id: nameAlias(row.account_name!), name: row.account_name!, owner_id: row.owner_id, status: statusOf(run, row.fields.status) })),
      );
      const kept = await remember(trx, run, 'account', [...created].map(([source_id, our_id]) => ({ source_id, our_id, line: toCreate.find((row) => nameAlias(row.account_name!) === source_id)!.line })), true);
      for (const [source_id, our_id] of created) accounts.set(source_id, { source_id, our_id: kept.get(source_id) ?? our_id, run_key: run.runKey, run_file: run.file.index, run_line: 0 });
    }
    const placed: (ContactWanted & { account_id: number })[] = [];
    for (const row of wanted) {
      const accountId = accountOf(row);
      if (accountId === undefined) {
        tally.unknown += 1;
        tally.problems.push({ line: row.line, message: `${row.name}'s account (${row.account_ref}) is not in the files, nor imported before` });
      } else {
        if (row.account_ref) tally.resolved += 1;
        placed.push({ ...row, account_id: accountId });
      }
    }
    const seen = await lookUp(trx, run, 'contact', placed.map((row) => row.source_id));
    const { fresh, known } = sortOut(run, tally, placed, seen, 'person');
    tally.contacts.existing += known.length;
    const ids = new Map<string, number>(known.map((row) => [row.source_id, row.our_id]));
    if (fresh.length > 0) {
      const created = await inChunks(fresh, (chunk) =>
        trx
          .insertInto('contacts')
          .values(chunk.map((row) => newContactRow(row.account_id, { ...row.input, reports_to_contact_id: undefined }, run.now)))
          .onConflict((conflict) => conflict.doNothing())
          .returning(['id', 'account_id', 'email_key', 'name'])
          .execute(),
      );
      // The rows come back in the order given, without those an email already held.
      let next = 0;
      const audits: AuditEntry[] = [];
      const lost: typeof fresh = [];
      for (const row of fresh) {
        const contact = created[next];
        if (contact && contact.account_id === row.account_id && contact.name === row.input.name && contact.email_key === contactEmailKey(row.input.email)) {
          next += 1;
          ids.set(row.source_id, contact.id);
          tally.contacts.created += 1;
          tally.touched.push(contact.account_id);
          audits.push({
            entity_type: 'contact',
            entity_id: contact.id,
            account_id: contact.account_id,
            user_id: run.user.id,
            action: 'created',
            changes: diff({}, { ...row.input }),
            context: `import from ${run.vendor}`,
            at: run.now,
            entity_version: 1,
          });
        } else lost.push(row);
      }
      if (next !== created.length) throw new Error('The database answered the new contacts in another order than they were given');
      if (lost.length > 0) {
        const holders = await trx
          .selectFrom('contacts')
          .select(['id', 'account_id', 'email_key'])
          .where(isOneOf(trx, 'account_id', [...new Set(lost.map((row) => row.account_id))]))
          .where('email_key', 'in', lost.map((row) => contactEmailKey(row.input.email)!))
          .execute();
        for (const row of lost) {
          const holder = holders.find((contact) => contact.account_id === row.account_id && contact.email_key === contactEmailKey(row.input.email));
          if (holder) ids.set(row.source_id, holder.id);
          tally.contacts.existing += 1;
        }
      }
      await recordAudits(trx, audits);
    }
    const withIds = [...known, ...fresh].filter((row) => ids.has(row.source_id));
    const roles = withIds.flatMap((row) => row.input.roles.map((role) => ({ contact_id: ids.get(row.source_id)!, account_id: row.account_id, role })));
    for (let start = 0; start < roles.length; start += 500) {
      const inserted = await trx.insertInto('contact_roles').values(roles.slice(start, start + 500)).onConflict((conflict) => conflict.doNothing()).executeTakeFirst();
      tally.roles += Number(inserted.numInsertedOrUpdatedRows ?? 0);
    }
    const remembered = withIds.map((row) => ({ source_id: row.source_id, our_id: ids.get(row.source_id)!, line: row.line, parent_source_id: row.reports_to ?? null }));
    await remember(trx, run, 'contact', remembered);
    // People without an id (a report) are found by name too, for "Reports To".
    await remember(trx, run, 'contact', withIds.filter((row) => !row.fields.source_id).map((row) => ({ source_id: personAlias(row.account_ref ?? nameAlias(row.account_name!), row.name), our_id: ids.get(row.source_id)!, line: row.line })), true);
    return tally;
  });
}

/** Sets the reports-to line of this run's contacts whose manager is in the files, at the same account; a manager not found is a problem of the row. */
async function resolveReportsTo(run: Run): Promise<void> {
  const scope = sql`me.scope = ${run.user.id} and me.source = ${run.vendor} and me.object = 'contact' and me.run_key = ${run.runKey}`;
  const boss = sql`boss.scope = me.scope and boss.source = me.source and boss.object = 'contact' and boss.source_id = me.parent_source_id`;
  await inTransaction(run.db, async (trx) => {
    await sql`
      update contacts set reports_to_contact_id = (
        select boss.our_id from import_source_ids me
        join import_source_ids boss on ${boss}
        join contacts manager on manager.id = boss.our_id
        where ${scope} and me.our_id = contacts.id and manager.account_id = contacts.account_id and manager.id <> contacts.id
        limit 1)
      where reports_to_contact_id is null
        and id in (select me.our_id from import_source_ids me where ${scope} and me.parent_source_id is not null)
    `.execute(trx);
    const unresolved = await sql<{ run_file: number; run_line: number; parent_source_id: string; our_id: number }>`
      select me.run_file, me.run_line, me.parent_source_id, me.our_id from import_source_ids me
      join contacts on contacts.id = me.our_id
      where ${scope} and me.parent_source_id is not null and contacts.reports_to_contact_id is null
      order by me.run_file, me.run_line
    `.execute(trx);
    for (const row of unresolved.rows) {
      run.report.ids.unknown += 1;
      addProblem(run, run.report.files[row.run_file]?.name ?? '', row.run_line, `reports to ${displayId(row.parent_source_id).replace(/^.*\//, '')}, who is not in the files at the same account: the reports-to line is left empty`);
    }
    const touched = await sql<{ account_id: number }>`
      select distinct contacts.account_id from import_source_ids me join contacts on contacts.id = me.our_id
      where ${scope} and me.parent_source_id is not null and contacts.reports_to_contact_id is not null
    `.execute(trx);
    for (const row of touched.rows) run.touched.add(row.account_id);
  });
  const counted = await run.db
    .selectFrom('import_source_ids as me')
    .innerJoin('contacts', 'contacts.id', 'me.our_id')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('me.scope', '=', run.user.id)
    .where('me.source', '=', run.vendor)
    .where('me.object', '=', 'contact')
    .where('me.run_key', '=', run.runKey)
    .where('me.parent_source_id', 'is not', null)
    .where('contacts.reports_to_contact_id', 'is not', null)
    .executeTakeFirstOrThrow();
  run.report.reportsTo = Number(counted.count);
}

// ——— roles (Salesforce AccountContactRelation / OpportunityContactRole) ———

async function importRoles(run: Run, batch: FieldRow[]): Promise<Tally> {
  const wanted: { line: number; contact: string; roles: ContactRole[] }[] = [];
  const problems: Tally['problems'] = [];
  for (const { line, fields } of batch) {
    if (!fields.contact_id) problems.push({ line, message: 'the row names no contact (ContactId)' });
    else wanted.push({ line, contact: fields.contact_id, roles: rolesOf(run, fields.roles) });
  }
  return inTransaction(run.db, async (trx) => {
    const tally = newTally();
    tally.problems.push(...problems);
    const contacts = await lookUp(trx, run, 'contact', wanted.map((row) => row.contact));
    const ids = [...new Set([...contacts.values()].map((row) => row.our_id))];
    const accounts = new Map((ids.length === 0 ? [] : await trx.selectFrom('contacts').select(['id', 'account_id']).where(isOneOf(trx, 'id', ids)).execute()).map((row) => [row.id, row.account_id]));
    const roles: { contact_id: number; account_id: number; role: ContactRole }[] = [];
    for (const row of wanted) {
      const contactId = contacts.get(row.contact)?.our_id;
      const accountId = contactId === undefined ? undefined : accounts.get(contactId);
      if (contactId === undefined || accountId === undefined) {
        tally.unknown += 1;
        tally.problems.push({ line: row.line, message: `contact ${row.contact} is not in the files, nor imported before` });
        continue;
      }
      tally.resolved += 1;
      for (const role of row.roles) roles.push({ contact_id: contactId, account_id: accountId, role });
    }
    for (let start = 0; start < roles.length; start += 500) {
      const inserted = await trx.insertInto('contact_roles').values(roles.slice(start, start + 500)).onConflict((conflict) => conflict.doNothing()).executeTakeFirst();
      tally.roles += Number(inserted.numInsertedOrUpdatedRows ?? 0);
    }
    tally.touched.push(...new Set(roles.map((role) => role.account_id)));
    return tally;
  });
}

// ——— history ———

interface ActivityWanted {
  line: number;
  source_id: string;
  kind: TouchpointKind;
  occurred_at: string;
  place?: string;
  summary: string;
  notes: string;
  author_id: number;
  contacts: string[];
  account?: string;
}

/** The touchpoint kind of an activity; null: not history (a to-do); a string: the problem. */
function kindOf(run: Run, fields: FieldRow['fields']): TouchpointKind | null | { problem: string } {
  const { file, table } = run.file;
  // Salesforce: a task's subtype (Call, Email) says more than its type; a plain "Task" subtype says nothing.
  const value = fields.subkind && valueKey(fields.subkind) !== 'TASK' ? fields.subkind : fields.kind;
  if (!value) return file.kind_of_every_row ?? { problem: 'the activity has no type' };
  const becomes = translate(run, 'type', table.kinds, value);
  if (becomes) return becomes;
  if (file.kind_of_every_row) return file.kind_of_every_row;
  return becomes === null ? null : { problem: `activity type "${value}" is not one Buychain knows (calls, meetings, emails, notes)` };
}

const summaryLimit = 5000;

async function importActivities(run: Run, batch: FieldRow[], zone: string, tallyNotHistory: () => void): Promise<Tally> {
  const wanted: ActivityWanted[] = [];
  const problems: Tally['problems'] = [];
  for (const { line, fields } of batch) {
    if (run.file.table.done && fields.done !== undefined && !run.file.table.done.includes(valueKey(fields.done))) {
      tallyNotHistory();
      continue;
    }
    const kind = kindOf(run, fields);
    if (kind === null) {
      tallyNotHistory();
      continue;
    }
    if (typeof kind === 'object') {
      problems.push({ line, message: kind.problem });
      continue;
    }
    const when = fields.occurred_at ?? fields.occurred_on;
    const occurredAt = instantOf(when, fields.occurred_time, zone);
    if (!fields.source_id) problems.push({ line, message: 'the activity has no id' });
    else if (!occurredAt) problems.push({ line, message: when ? `the date "${when}" cannot be read: write it as YYYY-MM-DD` : 'the activity has no date' });
    else if (occurredAt > run.now) tallyNotHistory();
    else if ((fields.subject?.length ?? 0) > summaryLimit || (fields.body?.length ?? 0) > summaryLimit)
      problems.push({ line, message: `the subject or the notes are longer than ${summaryLimit} characters` });
    else
      wanted.push({
        line,
        source_id: fields.source_id,
        kind,
        occurred_at: occurredAt,
        place: fields.location,
        summary: fields.subject ?? '',
        notes: fields.body ?? '',
        author_id: ownerOf(run, fields),
        contacts: idList(fields.contact_ids),
        account: idList(fields.account_id)[0],
      });
  }
  return inTransaction(run.db, async (trx) => {
    const tally = newTally();
    tally.problems.push(...problems);
    const seen = await lookUp(trx, run, 'activity', wanted.map((row) => row.source_id));
    const { fresh, known } = sortOut(run, tally, wanted, seen, 'activity');
    tally.touchpoints.existing += known.length;
    if (known.length > 0) await remember(trx, run, 'activity', known);
    if (fresh.length === 0) return tally;
    const contactRefs = await lookUp(trx, run, 'contact', fresh.flatMap((row) => row.contacts));
    const accountRefs = await lookUp(trx, run, 'account', fresh.flatMap((row) => (row.account ? [row.account] : [])));
    const contactIds = [...new Set([...contactRefs.values()].map((row) => row.our_id))];
    const contactAccount = new Map(
      (contactIds.length === 0 ? [] : await trx.selectFrom('contacts').select(['id', 'account_id']).where(isOneOf(trx, 'id', contactIds)).execute()).map((row) => [row.id, row.account_id]),
    );
    const accountIds = [...new Set([...accountRefs.values()].map((row) => row.our_id).concat([...contactAccount.values()]))];
    const accountNames = new Map(
      (accountIds.length === 0 ? [] : await trx.selectFrom('accounts').select(['id', 'name']).where(isOneOf(trx, 'id', accountIds)).execute()).map((row) => [row.id, row.name]),
    );
    const placed: (ActivityWanted & { account_id: number; participants: number[] })[] = [];
    for (const row of fresh) {
      const found = row.contacts.flatMap((ref) => {
        const id = contactRefs.get(ref)?.our_id;
        return id === undefined ? [] : [id];
      });
      tally.resolved += found.length + (row.account && accountRefs.has(row.account) ? 1 : 0);
      tally.unknown += row.contacts.length - found.length + (row.account && !accountRefs.has(row.account) ? 1 : 0);
      const accountId = (row.account ? accountRefs.get(row.account)?.our_id : undefined) ?? contactAccount.get(found[0]!);
      const participants = [...new Set(found.filter((id) => contactAccount.get(id) === accountId))];
      const unknownIds = [...row.contacts.filter((ref) => !contactRefs.has(ref)), ...(row.account && !accountRefs.has(row.account) ? [row.account] : [])];
      if (accountId === undefined) tally.problems.push({ line: row.line, message: `no account: ${unknownIds.length > 0 ? `${unknownIds.join(', ')} ${unknownIds.length === 1 ? 'is' : 'are'} not in the files, nor imported before` : 'the activity names no contact or company'}` });
      else if (kindNeedsParticipants(row.kind) && participants.length === 0)
        tally.problems.push({ line: row.line, message: `nobody who took part is known: ${unknownIds.length > 0 ? `${unknownIds.join(', ')} not in the files` : 'the activity names no contact'}` });
      else placed.push({ ...row, account_id: accountId, participants });
    }
    if (placed.length === 0) return tally;
    const created = await inChunks(placed, (chunk) =>
      trx
      .insertInto('touchpoints')
      .values(
        chunk.map((row) => ({
          account_id: row.account_id,
          author_id: row.author_id,
          kind: row.kind,
          occurred_at: row.occurred_at,
          location: locationOf(row.kind, row.place, accountNames.get(row.account_id) ?? ''),
          summary: row.summary,
          internal_notes: row.notes,
          testimonial_url: null,
          next_step: null,
          next_step_due_on: null,
          created_at: run.now,
        })),
      )
      .returning(['id', 'account_id', 'occurred_at', 'kind', 'location'])
      .execute(),
    );
    if (created.some((touchpoint, index) => touchpoint.account_id !== placed[index]!.account_id || touchpoint.occurred_at !== placed[index]!.occurred_at))
      throw new Error('The database answered the new touchpoints in another order than they were given');
    const participants = placed.flatMap((row, index) =>
      row.participants.map((contact_id) => ({ touchpoint_id: created[index]!.id, contact_id, account_id: row.account_id, occurred_at: row.occurred_at, kind: row.kind, location: created[index]!.location })),
    );
    for (let start = 0; start < participants.length; start += 500) await trx.insertInto('touchpoint_contacts').values(participants.slice(start, start + 500)).execute();
    const kept = await remember(trx, run, 'activity', placed.map((row, index) => ({ source_id: row.source_id, our_id: created[index]!.id, line: row.line })));
    // Another import of the same files recorded some of them first: ours go.
    const lost = placed.flatMap((row, index) => (kept.get(row.source_id) === created[index]!.id ? [] : [created[index]!.id]));
    if (lost.length > 0) {
      await trx.deleteFrom('touchpoint_contacts').where(isOneOf(trx, 'touchpoint_id', lost)).execute();
      await trx.deleteFrom('touchpoints').where(isOneOf(trx, 'id', lost)).execute();
    }
    tally.touchpoints.created += placed.length - lost.length;
    tally.touchpoints.existing += lost.length;
    tally.touched.push(...new Set(placed.map((row) => row.account_id)));
    return tally;
  });
}

/** The touchpoint summaries (last touch, last outside meeting, count) of the touched accounts and their contacts, a few hundred accounts a statement. */
async function refreshSummaries(run: Run): Promise<void> {
  const ids = [...run.touched];
  for (let start = 0; start < ids.length; start += 500) {
    const accounts = ids.slice(start, start + 500);
    await inTransaction(run.db, async (trx) => {
      await recomputeAccountsTouchSummaries(trx, accounts);
      await riskInputsChanged(trx, accounts);
    });
  }
}

/** The rows in batches of `size()` rows, asked again for every batch. */
async function* batchesOf<T>(rows: AsyncIterable<T>, size: () => number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const row of rows) {
    batch.push(row);
    if (batch.length >= size()) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** Reads each file's header and works out which vendor file it is; a file nobody's table knows is refused, naming it. */
export async function planFiles(files: ImportFileSource[], from?: Vendor, mappings: MappingChoice[] = []): Promise<PlannedFile[]> {
  const planned: PlannedFile[] = [];
  const problems: string[] = [];
  for (const [index, source] of files.entries()) {
    const header = await readHeader(source.open());
    const recognised = header && recogniseFile(header, from);
    if (!header || !recognised) {
      problems.push(`${source.name}: ${header ? `its columns (${header.slice(0, 6).join(', ')}${header.length > 6 ? '…' : ''}) are not those of a ${from ?? 'HubSpot, Salesforce or Pipedrive'} export we know` : 'the file is empty'}`);
      continue;
    }
    planned.push({ index, source, table: recognised.table, file: recognised.file, columns: planColumns(header, recognised.table, recognised.file, mappings[index]) });
  }
  if (problems.length > 0) throw new ValidationFailed({ files: problems.join('; ') });
  const vendorsSeen = [...new Set(planned.map((file) => file.table.vendor))];
  if (vendorsSeen.length > 1) throw new ValidationFailed({ files: `The files come from ${vendorsSeen.join(' and ')}: import one system's files at a time, or say which with --from` });
  return planned;
}

/** Imports (or, dry, only tries) the files of one vendor export: see the top of this file. */
export async function runVendorImport(db: Db, clock: Clock, user: CurrentUser, files: ImportFileSource[], options: VendorImportOptions = {}): Promise<VendorImportReport> {
  const planned = await planFiles(files, options.from, options.mappings);
  const report: VendorImportReport = {
    vendor: planned[0]!.table.vendor,
    dryRun: options.dryRun ?? false,
    files: files.map((source, index) => {
      const plan = planned.find((file) => file.index === index)!;
      return { name: source.name, label: plan.file.label, kind: plan.file.kind, rows: 0, columns: plan.columns, headerHash: headerHash(plan.columns.map((column) => column.header)) };
    }),
    translations: [],
    accounts: { created: 0, existing: 0 },
    contacts: { created: 0, existing: 0 },
    touchpoints: { created: 0, existing: 0 },
    roles: 0,
    reportsTo: 0,
    ids: { resolved: 0, unknown: 0 },
    unmatchedOwners: [],
    notHistory: 0,
    problems: [],
    problemCount: 0,
  };
  const work = async (handle: Db | DbOrTx) => {
    const owners = await visibleOwners(handle, user);
    const run: Run = {
      db: handle,
      user,
      now: clock.now().toISOString(),
      runKey: randomUUID(),
      vendor: report.vendor,
      sampleSize: options.sampleSize ?? defaultSampleSize,
      ownerByEmail: new Map(owners.map((owner) => [owner.email.toLowerCase(), owner.id])),
      ownerByName: new Map(owners.map((owner) => [owner.name.toLowerCase(), owner.id])),
      usersById: new Map(),
      unmatchedOwners: new Map(),
      translations: new Map(),
      touched: new Set(),
      report,
      file: planned[0]!,
    };
    const ordered = [...planned].sort((a, b) => fileKinds.indexOf(a.file.kind) - fileKinds.indexOf(b.file.kind) || a.index - b.index);
    for (const [position, file] of ordered.entries()) {
      run.file = file;
      const summary = report.files[file.index]!;
      // A batch that held the lock longer than the target halves the next one, a quick one doubles it: other writers wait a fraction of a second.
      let batchRows = maxBatchRows / 5;
      for await (const batch of batchesOf(readFieldRows(file.source.open(handle), file.columns), () => batchRows)) {
        const started = performance.now();
        summary.rows += batch.length;
        const rows: FieldRow[] = [];
        for (const row of batch) {
          if ('problem' in row) addProblem(run, file.source.name, row.line, row.problem);
          else rows.push(row);
        }
        if (file.file.kind === 'users') for (const { fields } of rows) run.usersById.set(fields.source_id ?? '', { email: fields.email, name: personName(fields) });
        else if (file.file.kind === 'accounts') merge(run, await importAccounts(run, rows));
        else if (file.file.kind === 'contacts') merge(run, await importContacts(run, rows));
        else if (file.file.kind === 'roles') merge(run, await importRoles(run, rows));
        else merge(run, await importActivities(run, rows, user.time_zone, () => (report.notHistory += 1)));
        const tookMs = performance.now() - started;
        batchRows = tookMs > batchTargetMs ? Math.max(minBatchRows, batchRows / 2) : tookMs < batchTargetMs / 3 ? Math.min(maxBatchRows, batchRows * 2) : batchRows;
        options.onProgress?.({ file: file.source.name, rows: summary.rows });
      }
      const nextKind = ordered[position + 1]?.file.kind;
      if (file.file.kind === 'contacts' && nextKind !== 'contacts') await resolveReportsTo(run);
    }
    await refreshSummaries(run);
    report.unmatchedOwners = [...run.unmatchedOwners].map(([owner, rows]) => ({ owner, rows })).sort((a, b) => b.rows - a.rows);
    report.translations = [...run.translations.values()];
  };
  if (!report.dryRun) {
    await work(db);
    return report;
  }
  await db
    .transaction()
    .execute(async (trx) => {
      await work(trx);
      throw new RolledBack();
    })
    .catch((error: unknown) => {
      if (!(error instanceof RolledBack)) throw error;
    });
  return report;
}
