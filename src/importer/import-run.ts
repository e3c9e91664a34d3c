import { newAccountRow } from '../accounts/accounts.service.js';
import { type AuditEntry, diff, recordAudits } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { newContactRow } from '../contacts/contacts.service.js';
import type { NewContactInput } from '../contacts/contacts.schemas.js';
import type { AccountStatus } from '../accounts/accounts.table.js';
import type { Db, DbOrTx } from '../db/database.js';
import { keysTable } from '../db/dialect.js';
import { riskInputsChanged } from '../risk/risk-cache.js';
import type { CurrentUser } from '../users/users.service.js';
import { discardUpload, findUpload } from './import-staging.js';
import type { ImportRowRecord } from './importer.table.js';

// Step two of an import: walk the staged rows in line order, a batch at a time, and decide for each
// whether its account and contact are new or already here: the preview counts, the import writes.
// Writing, each batch is its own short transaction (on SQLite other writers wait for one batch at
// most, never for the whole file), and inserts skip rows a unique key already holds (an account per
// owner and name, a contact per account and email): a second import of the same file, even at the
// same moment, creates nothing twice, and an import cut off half-way is finished by running it again.

/** Staged rows decided (and, importing, written) per transaction. */
const walkBatch = 250;

export interface ImportCounts {
  newAccounts: number;
  existingAccounts: number;
  newContacts: number;
  existingContacts: number;
}

export interface ImportSummary extends ImportCounts {
  uploadId: number;
  fileName: string;
  rows: number;
  problemCount: number;
  /** The first problems, in file order. */
  problems: { line: number; message: string }[];
  ignoredColumns: string[];
  /** The first accounts and contacts the import would create, in file order. */
  accountsToCreate: { name: string; owner_name: string; status: AccountStatus }[];
  contactsToCreate: { name: string; account_name: string; email: string | null; roles: string[] }[];
}

interface Walk {
  counts: ImportCounts;
  sampleSize: number;
  summary?: Pick<ImportSummary, 'accountsToCreate' | 'contactsToCreate'>;
  ownerNames?: Map<number, string>;
  /** Present when importing: the rows are written. */
  write?: { clock: Clock; user: CurrentUser };
}

export const keyOf = (ownerId: number, accountKey: string) => `${ownerId}\u0000${accountKey}`;
const personAt = (accountId: number, emailKey: string | null, name: string) => `${accountId}\u0000${emailKey ?? `name:${name.toLowerCase()}`}`;

export async function accountIdsOf(db: DbOrTx, pairs: { owner_id: number; account_key: string }[]): Promise<Map<string, number>> {
  if (pairs.length === 0) return new Map();
  const rows = await db
    .selectFrom(keysTable(db, pairs, { owner_id: 'integer', account_key: 'text' }).as('wanted'))
    .crossJoin('accounts')
    .whereRef('accounts.owner_id', '=', 'wanted.owner_id')
    .whereRef('accounts.name_key', '=', 'wanted.account_key')
    .select(['accounts.id', 'accounts.owner_id', 'accounts.name_key'])
    .execute();
  return new Map(rows.map((row) => [keyOf(row.owner_id, row.name_key!), row.id]));
}

async function walkBatchOf(db: DbOrTx, rows: ImportRowRecord[], walk: Walk): Promise<void> {
  const { counts, write } = walk;
  const now = write?.clock.now().toISOString() ?? '';
  const audits: AuditEntry[] = [];
  const touched = new Set<number>();

  const pairs = [...new Map(rows.map((row) => [keyOf(row.owner_id!, row.account_key!), { owner_id: row.owner_id!, account_key: row.account_key! }])).values()];
  const accountIds = await accountIdsOf(db, pairs);
  const accountsToCreate = rows.filter((row) => row.first_of_account === 1 && !accountIds.has(keyOf(row.owner_id!, row.account_key!)));
  counts.existingAccounts += rows.filter((row) => row.first_of_account === 1).length - accountsToCreate.length;
  if (!write) {
    counts.newAccounts += accountsToCreate.length;
    for (const row of accountsToCreate.slice(0, walk.sampleSize - walk.summary!.accountsToCreate.length))
      walk.summary!.accountsToCreate.push({ name: row.account_name!, owner_name: walk.ownerNames!.get(row.owner_id!) ?? '', status: (row.account_status ?? 'prospect') as AccountStatus });
  } else if (accountsToCreate.length > 0) {
    // In key order, so two imports at once take the keys' locks in the same order (no deadlock on PostgreSQL).
    const values = accountsToCreate
      .map((row) => newAccountRow(row.owner_id!, { name: row.account_name!, status: (row.account_status ?? undefined) as AccountStatus | undefined, customer_since: row.customer_since ?? undefined }, now))
      .sort((a, b) => a.owner_id - b.owner_id || a.name_key!.localeCompare(b.name_key!));
    const created = await db.insertInto('accounts').values(values).onConflict((conflict) => conflict.doNothing()).returning(['id', 'owner_id', 'name_key', 'name', 'status']).execute();
    counts.newAccounts += created.length;
    counts.existingAccounts += accountsToCreate.length - created.length;
    for (const account of created) {
      accountIds.set(keyOf(account.owner_id, account.name_key!), account.id);
      audits.push({ entity_type: 'account', entity_id: account.id, account_id: account.id, user_id: write.user.id, action: 'created', changes: diff({}, { name: account.name, status: account.status }), at: now });
    }
    // Created by another import a moment ago: look them up.
    if (created.length < accountsToCreate.length) for (const [key, id] of await accountIdsOf(db, pairs)) accountIds.set(key, id);
  }

  const withContact = rows.filter((row) => row.contact !== null);
  const knownIds = [...new Set(withContact.map((row) => accountIds.get(keyOf(row.owner_id!, row.account_key!))).filter((id) => id !== undefined))];
  const existing =
    knownIds.length === 0 ? [] : await db.selectFrom('contacts').select(['account_id', 'name', 'email_key']).where('account_id', 'in', knownIds).execute();
  const emailsAt = new Set(existing.flatMap((person) => (person.email_key ? [`${person.account_id}\u0000${person.email_key}`] : [])));
  // Name → whether every contact of that name there has an email: a person without one matches by name.
  const namesAt = new Map<string, boolean>();
  for (const person of existing) {
    const key = `${person.account_id}\u0000${person.name.toLowerCase()}`;
    namesAt.set(key, (namesAt.get(key) ?? true) && person.email_key !== null);
  }
  const contactsToCreate: { accountId: number; input: NewContactInput; row: ImportRowRecord }[] = [];
  for (const row of withContact) {
    const input = JSON.parse(row.contact!) as NewContactInput;
    const accountId = accountIds.get(keyOf(row.owner_id!, row.account_key!));
    if (accountId !== undefined) {
      const sameEmail = row.email_key !== null && emailsAt.has(`${accountId}\u0000${row.email_key}`);
      const everyNamesakeHasEmail = namesAt.get(`${accountId}\u0000${row.contact_name_key}`);
      const sameName = everyNamesakeHasEmail !== undefined && (row.email_key === null || !everyNamesakeHasEmail);
      if (sameEmail || sameName) {
        counts.existingContacts += 1;
        continue;
      }
    }
    if (!write) {
      counts.newContacts += 1;
      if (walk.summary!.contactsToCreate.length < walk.sampleSize)
        walk.summary!.contactsToCreate.push({ name: input.name, account_name: row.account_name!, email: input.email ?? null, roles: input.roles });
    } else contactsToCreate.push({ accountId: accountId!, input, row });
  }
  if (write && contactsToCreate.length > 0) {
    contactsToCreate.sort((a, b) => a.accountId - b.accountId || (a.row.email_key ?? '').localeCompare(b.row.email_key ?? ''));
    const created = await db
      .insertInto('contacts')
      .values(contactsToCreate.map(({ accountId, input: { roles: _roles, ...fields } }) => newContactRow(accountId, fields, now)))
      .onConflict((conflict) => conflict.doNothing())
      .returning(['id', 'account_id', 'email_key', 'name'])
      .execute();
    counts.newContacts += created.length;
    counts.existingContacts += contactsToCreate.length - created.length;
    const planned = new Map(contactsToCreate.map((contact) => [personAt(contact.accountId, contact.row.email_key, contact.input.name), contact.input]));
    const roles = [];
    for (const contact of created) {
      const { roles: contactRoles, ...fields } = planned.get(personAt(contact.account_id, contact.email_key, contact.name))!;
      roles.push(...contactRoles.map((role) => ({ contact_id: contact.id, account_id: contact.account_id, role })));
      audits.push({
        entity_type: 'contact',
        entity_id: contact.id,
        account_id: contact.account_id,
        user_id: write.user.id,
        action: 'created',
        changes: diff({}, { ...fields, roles: contactRoles }),
        at: now,
        entity_version: 1,
      });
      touched.add(contact.account_id);
    }
    if (roles.length > 0) await db.insertInto('contact_roles').values(roles).execute();
  }
  if (write) {
    await recordAudits(db, audits);
    await riskInputsChanged(db, [...touched]);
  }
}

/** How long one writing batch may hold SQLite's write lock before the next batch is made smaller. */
const batchTargetMs = 250;

/**
 * Walks the upload's rows without problems, in line order, a batch at a time. A writing batch that
 * took longer than the target (a slow disk, a busy machine) halves the next one, and a quick one
 * grows it back, so other writers wait a fraction of a second whatever the machine.
 */
async function walkUpload(db: Db, uploadId: number, walk: Walk): Promise<void> {
  let batchSize = walkBatch;
  for (let afterLine = 0; ; ) {
    const rows = await db
      .selectFrom('import_rows')
      .selectAll()
      .where('upload_id', '=', uploadId)
      .where('problem', 'is', null)
      .where('line', '>', afterLine)
      .orderBy('line')
      .limit(batchSize)
      .execute();
    if (rows.length === 0) return;
    afterLine = rows.at(-1)!.line;
    if (!walk.write) {
      await walkBatchOf(db, rows, walk);
      continue;
    }
    const started = performance.now();
    await db.transaction().execute((trx) => walkBatchOf(trx, rows, walk));
    const tookMs = performance.now() - started;
    batchSize = tookMs > batchTargetMs ? Math.max(10, Math.floor(batchSize / 2)) : tookMs < batchTargetMs / 3 ? Math.min(walkBatch, batchSize * 2) : batchSize;
  }
}

const noCounts = (): ImportCounts => ({ newAccounts: 0, existingAccounts: 0, newContacts: 0, existingContacts: 0 });

/** What importing the staged upload would do: counts, the first problems, the first accounts and contacts to create. Writes nothing. */
export async function previewImport(db: Db, user: CurrentUser, uploadId: number, sampleSize: number): Promise<ImportSummary> {
  const upload = await findUpload(db, user, uploadId);
  const totals = await db
    .selectFrom('import_rows')
    .select((eb) => [eb.fn.countAll<number>().as('rows'), eb.fn.count<number>('problem').as('problems')])
    .where('upload_id', '=', uploadId)
    .executeTakeFirstOrThrow();
  const problems = await db
    .selectFrom('import_rows')
    .select(['line', 'problem'])
    .where('upload_id', '=', uploadId)
    .where('problem', 'is not', null)
    .orderBy('line')
    .limit(sampleSize)
    .execute();
  const owners = await db.selectFrom('users').select(['id', 'name']).where('id', 'in', db.selectFrom('import_rows').select('owner_id').distinct().where('upload_id', '=', uploadId).where('owner_id', 'is not', null).$castTo<number>()).execute();
  const walk: Walk = { counts: noCounts(), sampleSize, summary: { accountsToCreate: [], contactsToCreate: [] }, ownerNames: new Map(owners.map((owner) => [owner.id, owner.name])) };
  await walkUpload(db, uploadId, walk);
  return {
    uploadId,
    fileName: upload.file_name,
    rows: Number(totals.rows),
    problemCount: Number(totals.problems),
    problems: problems.map((row) => ({ line: row.line, message: row.problem! })),
    ignoredColumns: JSON.parse(upload.ignored_columns) as string[],
    ...walk.counts,
    ...walk.summary!,
  };
}

export interface ImportResult extends ImportCounts {
  rowsSkipped: number;
}

/** Imports the staged upload, a batch per transaction, then forgets it. Running it again (or on the same file again) creates nothing twice. */
export async function applyImport(db: Db, clock: Clock, user: CurrentUser, uploadId: number): Promise<ImportResult> {
  await findUpload(db, user, uploadId);
  const walk: Walk = { counts: noCounts(), sampleSize: 0, write: { clock, user } };
  await walkUpload(db, uploadId, walk);
  const skipped = await db
    .selectFrom('import_rows')
    .select((eb) => eb.fn.count<number>('problem').as('problems'))
    .where('upload_id', '=', uploadId)
    .executeTakeFirstOrThrow();
  await discardUpload(db, uploadId);
  return { ...walk.counts, rowsSkipped: Number(skipped.problems) };
}
