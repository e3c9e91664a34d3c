import { newAccountSchema } from '../accounts/accounts.schemas.js';
import type { CsvSource } from './csv-records.js';
import { accountNameKey } from '../accounts/accounts.service.js';
import { visibleOwners } from '../accounts/account-access.js';
import type { Clock } from '../clock.js';
import { contactEmailKey } from '../contacts/contacts.service.js';
import { newContactSchema } from '../contacts/contacts.schemas.js';
import type { Db, DbOrTx } from '../db/database.js';
import { keysTable } from '../db/dialect.js';
import { NotFound } from '../http/errors.js';
import { fieldErrors } from '../http/validation.js';
import type { CurrentUser } from '../users/users.service.js';
import { type ColumnMapping, contactColumns, type ImportValues, openImportFile } from './import-rows.js';
import type { ImportRowsTable } from './importer.table.js';

// Step one of an import: the file is read once, as a stream, into import_rows, a batch of rows per
// short transaction. Each row is checked on its own (fields, owner, characters) and against the
// rows before it in the file (the same email twice, the same person twice at one account) with
// indexed look-ups of the rows already staged, so nothing of the file is held in memory but the
// batch at hand. The preview and the import then walk the staged rows (import-run.ts).

/** Rows checked and written per transaction while staging. */
const stagingBatch = 500;
/** Staged files nobody imported are removed after this long. */
const keepUploadsHours = 24;

const accountFields = newAccountSchema.pick({ name: true, status: true, customer_since: true });

/** Roles as people type them: "Decision-maker; User", "decision maker|boss". */
const roleList = (text: string) =>
  text
    .split(/[;,|]/)
    .map((role) => role.trim().toLowerCase().replace(/[\s-]+/g, '_'))
    .filter(Boolean);

type Owner = { id: number; name: string; email: string };
type StagedRow = Omit<ImportRowsTable, 'first_of_account'> & { first_of_account: number };

/** One row checked on its own: what it asks for, or its problems. */
function checkRow(uploadId: number, line: number, values: ImportValues, user: CurrentUser, ownerByEmail: Map<string, Owner>): StagedRow {
  const messages: string[] = [];
  const account = accountFields.safeParse({ name: values.account, status: values.status?.toLowerCase(), customer_since: values.customer_since });
  if (!account.success)
    for (const [field, message] of Object.entries(fieldErrors(account.error))) messages.push(`${field === 'name' ? 'account' : field}: ${message}`);
  const owner = ownerByEmail.get((values.owner_email ?? user.email).toLowerCase());
  if (!owner) messages.push(`owner_email: ${values.owner_email ?? 'you'} is not someone whose accounts you may import`);
  let contact: string | null = null;
  if (contactColumns.some((column) => values[column])) {
    const parsed = newContactSchema.safeParse({
      ...Object.fromEntries(contactColumns.map((column) => [column, values[column]])),
      preferred_channel: values.preferred_channel?.toLowerCase().replace(/[\s-]+/g, '_'),
      roles: roleList(values.roles ?? ''),
    });
    if (parsed.success) contact = JSON.stringify(parsed.data);
    else for (const [field, message] of Object.entries(fieldErrors(parsed.error))) messages.push(`${field.split('.')[0]}: ${message}`);
  }
  const ok = messages.length === 0 && account.success && owner;
  return {
    upload_id: uploadId,
    line,
    problem: ok ? null : messages.join('; '),
    owner_id: owner?.id ?? null,
    account_name: ok ? account.data.name : (values.account ?? null),
    account_key: ok ? accountNameKey(account.data.name) : null,
    account_status: ok ? (account.data.status ?? null) : null,
    customer_since: ok ? (account.data.customer_since ?? null) : null,
    first_of_account: 0,
    contact,
    // Kept on problem rows too: the same email twice in one file is one person twice, whether or not the first row is valid.
    email_key: contactEmailKey(values.email),
    contact_name_key: contact && ok ? values.name!.toLowerCase() : null,
  };
}

const addProblem = (row: StagedRow, message: string) => {
  row.problem = row.problem ? `${row.problem}; ${message}` : message;
};

/** Marks the batch's rows that repeat a row before them in the file (staged earlier, or earlier in the batch). */
async function checkAgainstEarlierRows(db: DbOrTx, uploadId: number, batch: StagedRow[]) {
  const emails = [...new Set(batch.flatMap((row) => (row.email_key ? [row.email_key] : [])))];
  const firstLineOfEmail = new Map<string, number>();
  if (emails.length > 0) {
    const earlier = await db
      .selectFrom('import_rows')
      .select(['email_key', (eb) => eb.fn.min<number>('line').as('line')])
      .where('upload_id', '=', uploadId)
      .where('email_key', 'in', emails)
      .groupBy('email_key')
      .execute();
    for (const row of earlier) firstLineOfEmail.set(row.email_key!, row.line);
  }
  for (const row of batch) {
    if (!row.email_key) continue;
    const first = firstLineOfEmail.get(row.email_key);
    if (first !== undefined) addProblem(row, `email: ${row.email_key} is also on row ${first}`);
    else firstLineOfEmail.set(row.email_key, row.line);
  }

  // People without an email match by name within their account: the same name twice there, one of them without an email, is one person twice.
  const people = batch.filter((row) => row.problem === null && row.contact_name_key !== null);
  const personKey = (row: { owner_id: number | null; account_key: string | null; contact_name_key: string | null }) =>
    `${row.owner_id}\u0000${row.account_key}\u0000${row.contact_name_key}`;
  const earlierPeople = new Map<string, { line: number; lineWithoutEmail: number | null }>();
  if (people.length > 0) {
    const keys = [...new Map(people.map((row) => [personKey(row), { owner_id: row.owner_id!, account_key: row.account_key!, contact_name_key: row.contact_name_key! }])).values()];
    // The keys drive the join (CROSS JOIN keeps that order on SQLite), each a look-up in the index.
    const rows = await db
      .selectFrom(keysTable(db, keys, { owner_id: 'integer', account_key: 'text', contact_name_key: 'text' }).as('person'))
      .crossJoin('import_rows as staged')
      .whereRef('staged.owner_id', '=', 'person.owner_id')
      .whereRef('staged.account_key', '=', 'person.account_key')
      .whereRef('staged.contact_name_key', '=', 'person.contact_name_key')
      .select((eb) => [
        'staged.owner_id',
        'staged.account_key',
        'staged.contact_name_key',
        eb.fn.min<number>('staged.line').as('line'),
        eb.fn.min<number | null>(eb.case().when('staged.email_key', 'is', null).then(eb.ref('staged.line')).end()).as('line_without_email'),
      ])
      .where('staged.upload_id', '=', uploadId)
      .where('staged.problem', 'is', null)
      .groupBy(['staged.owner_id', 'staged.account_key', 'staged.contact_name_key'])
      .execute();
    for (const row of rows) earlierPeople.set(personKey(row), { line: row.line, lineWithoutEmail: row.line_without_email });
  }
  for (const row of people) {
    const key = personKey(row);
    const earlier = earlierPeople.get(key);
    const clash = row.email_key === null ? earlier?.line : earlier?.lineWithoutEmail;
    if (clash !== undefined && clash !== null) {
      addProblem(row, `name: ${JSON.parse(row.contact!).name} is also on row ${clash} at ${row.account_name}`);
      continue;
    }
    earlierPeople.set(key, { line: earlier?.line ?? row.line, lineWithoutEmail: earlier?.lineWithoutEmail ?? (row.email_key === null ? row.line : null) });
  }

  // The first good row naming an account decides its status and customer-since.
  const good = batch.filter((row) => row.problem === null);
  const accountKey = (row: { owner_id: number | null; account_key: string | null }) => `${row.owner_id}\u0000${row.account_key}`;
  const seenAccounts = new Set<string>();
  if (good.length > 0) {
    const pairs = [...new Map(good.map((row) => [accountKey(row), { owner_id: row.owner_id!, account_key: row.account_key! }])).values()];
    const rows = await db
      .selectFrom(keysTable(db, pairs, { owner_id: 'integer', account_key: 'text' }).as('account'))
      .crossJoin('import_rows as staged')
      .whereRef('staged.owner_id', '=', 'account.owner_id')
      .whereRef('staged.account_key', '=', 'account.account_key')
      .select(['staged.owner_id', 'staged.account_key'])
      .distinct()
      .where('staged.upload_id', '=', uploadId)
      .where('staged.first_of_account', '=', 1)
      .execute();
    for (const row of rows) seenAccounts.add(accountKey(row));
  }
  for (const row of good) {
    if (seenAccounts.has(accountKey(row))) continue;
    seenAccounts.add(accountKey(row));
    row.first_of_account = 1;
  }
}

export interface StageOptions {
  fileName: string;
  mapping?: ColumnMapping;
}

/**
 * Reads a file (its bytes as they arrive) into a new staged upload of `user` and returns its id.
 * A file without a usable header is refused (ValidationFailed) and nothing is kept.
 */
export async function stageImport(db: Db, clock: Clock, user: CurrentUser, source: CsvSource, options: StageOptions): Promise<number> {
  await discardStaleUploads(db, clock);
  const file = await openImportFile(source, options.mapping);
  const owners = await visibleOwners(db, user);
  const ownerByEmail = new Map(owners.map((owner) => [owner.email.toLowerCase(), owner]));
  const { id: uploadId } = await db
    .insertInto('import_uploads')
    .values({ user_id: user.id, file_name: options.fileName, ignored_columns: JSON.stringify(file.ignoredColumns), created_at: clock.now().toISOString() })
    .returning('id')
    .executeTakeFirstOrThrow();
  try {
    let batch: StagedRow[] = [];
    const flush = async () => {
      const rows = batch;
      batch = [];
      await db.transaction().execute(async (trx) => {
        await checkAgainstEarlierRows(trx, uploadId, rows);
        for (let start = 0; start < rows.length; start += 100) await trx.insertInto('import_rows').values(rows.slice(start, start + 100)).execute();
      });
    };
    for await (const row of file.rows) {
      batch.push(
        'problem' in row
          ? { upload_id: uploadId, line: row.line, problem: row.problem, owner_id: null, account_name: null, account_key: null, account_status: null, customer_since: null, first_of_account: 0, contact: null, email_key: null, contact_name_key: null }
          : checkRow(uploadId, row.line, row.values, user, ownerByEmail),
      );
      if (batch.length >= stagingBatch) await flush();
    }
    if (batch.length > 0) await flush();
  } catch (error) {
    await discardUpload(db, uploadId);
    throw error;
  }
  return uploadId;
}

/** The staged upload, if it is `user`'s. */
export async function findUpload(db: DbOrTx, user: CurrentUser, uploadId: number) {
  const upload = await db.selectFrom('import_uploads').selectAll().where('id', '=', uploadId).where('user_id', '=', user.id).executeTakeFirst();
  if (!upload) throw new NotFound('That import');
  return upload;
}

/** Removes a staged upload, its rows a few thousand per statement so no transaction is long. */
export async function discardUpload(db: Db, uploadId: number): Promise<void> {
  for (;;) {
    const { numDeletedRows } = await db
      .deleteFrom('import_rows')
      .where('upload_id', '=', uploadId)
      .where('line', 'in', (eb) => eb.selectFrom('import_rows').select('line').where('upload_id', '=', uploadId).orderBy('line').limit(5000))
      .executeTakeFirst();
    if (Number(numDeletedRows) === 0) break;
  }
  await db.deleteFrom('import_uploads').where('id', '=', uploadId).execute();
}

export async function discardStaleUploads(db: Db, clock: Clock): Promise<void> {
  const cutoff = new Date(clock.now().getTime() - keepUploadsHours * 3600_000).toISOString();
  const stale = await db.selectFrom('import_uploads').select('id').where('created_at', '<', cutoff).execute();
  for (const { id } of stale) await discardUpload(db, id);
}
