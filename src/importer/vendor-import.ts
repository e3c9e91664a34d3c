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
import { isOneOf, isPostgres } from '../db/dialect.js';
import { ValidationFailed } from '../http/errors.js';
import { fieldErrors } from '../http/validation.js';
import { riskInputsChanged } from '../risk/risk-cache.js';
import { recomputeAccountsTouchSummaries } from '../touchpoints/touch-summaries.js';
import type { CurrentUser } from '../users/users.service.js';
import { accountIdsOf, keyOf } from './import-run.js';
import { dropStaging, stageActivities, startStaging, writeStagedActivities } from './vendor-activities.js';
import { type FieldRow, headerHash, idList, type ImportFileSource, type MappingChoice, personName, planColumns, readFieldRows, readHeader, recogniseFile } from './vendor-files.js';
import {
  addProblem,
  defaultSampleSize,
  displayId,
  inChunks,
  inTransaction,
  lookUp,
  merge,
  newTally,
  noRecordsYet,
  ownerOf,
  type PlannedFile,
  remember,
  type Run,
  sortOut,
  type Tally,
  translate,
  type VendorImportOptions,
  type VendorImportReport,
} from './vendor-run.js';
import { fileKinds, type Vendor } from './vendors/vendor-table.js';

export type { VendorImportReport } from './vendor-run.js';

// An import from HubSpot, Salesforce or Pipedrive: several files in one run, read in the order
// owners → accounts → contacts → roles → history, each streamed once, a batch of rows per short
// transaction. Ids across files are resolved through import_source_ids (what each record of the
// vendor became here, kept per importing user), with one indexed look-up per batch: nothing of a
// file is held in memory but the batch at hand. The same table makes the import idempotent (a
// record already imported is not created again, a record twice in the files is a problem row) and
// safe when two imports of the same files run at once (its key lets one of them create a record).
// History is staged and written last, in account order (src/importer/vendor-activities.ts).
// A dry run (and the page's preview) is the same run inside one transaction that is rolled back,
// so its counts and problems are exactly what the import would do.

/** Rows per batch (and transaction) at most; fewer when a batch holds the write lock too long. */
const maxBatchRows = 5000;
const minBatchRows = 100;
/** How long one batch may hold SQLite's write lock before the next one is made smaller (as in import-run.ts). */
const batchTargetMs = 250;

class RolledBack extends Error {}

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

/** The touchpoint summaries (last touch, last outside meeting, count) of the touched accounts and their contacts. */
async function refreshSummaries(run: Run): Promise<void> {
  const ids = [...run.touched];
  // 100 accounts a transaction: with a hundred imported activities each, 500 held the write lock over 2 s on a busy machine.
  for (let start = 0; start < ids.length; start += 100) {
    const accounts = ids.slice(start, start + 100);
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
    ...noRecordsYet(),
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
      staged: 0,
    };
    const withHistory = planned.some((file) => file.file.kind === 'activities');
    if (withHistory) await startStaging(handle);
    try {
      await readFiles(run);
      if (withHistory) await writeStagedActivities(run, (written, of) => options.onProgress?.(`history: ${written} of ${of} touchpoints written`));
    } finally {
      // After a failure the run's own error is what matters: a staging table left behind goes with the connection, or is replaced by the next run.
      if (withHistory) await dropStaging(handle).catch(() => undefined);
    }
    await refreshSummaries(run);
    report.unmatchedOwners = [...run.unmatchedOwners].map(([owner, rows]) => ({ owner, rows })).sort((a, b) => b.rows - a.rows);
    report.translations = [...run.translations.values()];
  };
  const readFiles = async (run: Run) => {
    const ordered = [...planned].sort((a, b) => fileKinds.indexOf(a.file.kind) - fileKinds.indexOf(b.file.kind) || a.index - b.index);
    for (const [position, file] of ordered.entries()) {
      run.file = file;
      const handle = run.db;
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
        else merge(run, await stageActivities(run, rows, user.time_zone, () => (report.notHistory += 1)));
        const tookMs = performance.now() - started;
        batchRows = tookMs > batchTargetMs ? Math.max(minBatchRows, batchRows / 2) : tookMs < batchTargetMs / 3 ? Math.min(maxBatchRows, batchRows * 2) : batchRows;
        options.onProgress?.(`${file.source.name}: ${summary.rows} rows read`);
      }
      const nextKind = ordered[position + 1]?.file.kind;
      if (file.file.kind === 'contacts' && nextKind !== 'contacts') await resolveReportsTo(run);
    }
  };
  await onOwnConnection(db, async (handle) => {
    if (!report.dryRun) return work(handle);
    await handle
      .transaction()
      .execute(async (trx) => {
        await work(trx);
        throw new RolledBack();
      })
      .catch((error: unknown) => {
        if (!(error instanceof RolledBack)) throw error;
      });
  });
  return report;
}

/** Each SQLite database's vendor import running now, the next one waits for: see onOwnConnection. */
const sqliteImports = new WeakMap<Db, Promise<unknown>>();

/**
 * Runs an import on a connection of its own, as its staging tables are the connection's: on
 * PostgreSQL one connection of the pool for the whole run; SQLite has one connection per process,
 * so one import at a time in this process (imports by other processes have theirs).
 */
function onOwnConnection(db: Db, work: (handle: Db) => Promise<void>): Promise<void> {
  if (isPostgres(db)) return db.connection().execute(work);
  const run = (sqliteImports.get(db) ?? Promise.resolve()).catch(() => undefined).then(() => work(db));
  sqliteImports.set(db, run);
  return run;
}
