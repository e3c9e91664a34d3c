import { parse } from 'csv-parse/sync';
import type { Clock } from '../clock.js';
import type { DbOrTx } from '../db/database.js';
import { visibleOwners } from '../accounts/account-access.js';
import { newAccountSchema } from '../accounts/accounts.schemas.js';
import { createAccount } from '../accounts/accounts.service.js';
import { newContactSchema, type NewContactInput } from '../contacts/contacts.schemas.js';
import { createContact } from '../contacts/contacts.service.js';
import { ValidationFailed } from '../http/errors.js';
import { fieldErrors } from '../http/validation.js';
import type { CurrentUser } from '../users/users.service.js';

// Accounts and contacts from a spreadsheet: one row per contact (or per account, with the contact
// columns empty). Planning reads the database but writes nothing, so the same plan is the preview
// and, inside a transaction, the import. Accounts match by name per owner and contacts by email
// (or by name when either side has no email) within their account, so re-importing a file
// creates nothing twice.

export const importColumns = [
  'account',
  'status',
  'customer_since',
  'owner_email',
  'name',
  'title',
  'email',
  'phone',
  'roles',
  'birthday',
  'started_in_role_on',
  'preferred_channel',
  'preferred_time',
] as const;
type ImportColumn = (typeof importColumns)[number];
const contactColumns: ImportColumn[] = importColumns.slice(4);

const columnAliases: Record<string, ImportColumn> = {
  account_name: 'account',
  company: 'account',
  account_status: 'status',
  owner: 'owner_email',
  contact: 'name',
  contact_name: 'name',
};

const normalizeHeader = (header: string) => {
  const key = header.trim().toLowerCase().replace(/[\s-]+/g, '_');
  return columnAliases[key] ?? key;
};

/** Roles as people type them: "Decision-maker; User", "decision maker|boss". */
const roleList = (text: string) =>
  text
    .split(/[;,|]/)
    .map((role) => role.trim().toLowerCase().replace(/[\s-]+/g, '_'))
    .filter(Boolean);

/** Undo the apostrophe our CSV export puts before a leading =, +, - or @ (so spreadsheets show text, not formulas). */
const unescapeCell = (value: string) => (/^'[=+\-@]/.test(value) ? value.slice(1) : value);

export interface CsvRow {
  /** The row's number in a spreadsheet: the header is row 1. */
  row: number;
  values: Partial<Record<ImportColumn, string>>;
}

export function readCsv(text: string): { rows: CsvRow[]; unknownColumns: string[] } {
  let records: string[][];
  try {
    records = parse(text, { bom: true, relax_column_count: true, trim: true });
  } catch (error) {
    throw new ValidationFailed({ csv: `This file cannot be read as CSV: ${(error as Error).message}` });
  }
  const [header, ...data] = records;
  const columns = (header ?? []).map(normalizeHeader);
  if (!columns.includes('account'))
    throw new ValidationFailed({ csv: `The first line must name the columns, with at least "account". Columns we read: ${importColumns.join(', ')}.` });
  const known = new Set<string>(importColumns);
  const rows = data
    .map((cells, index) => ({
      row: index + 2,
      values: Object.fromEntries(
        columns.flatMap((column, position) => (known.has(column) && cells[position] ? [[column, unescapeCell(cells[position])]] : [])),
      ) as CsvRow['values'],
    }))
    .filter((row) => Object.keys(row.values).length > 0);
  return { rows, unknownColumns: columns.filter((column) => column && !known.has(column)) };
}

export interface PlannedAccount {
  key: string;
  name: string;
  owner_id: number;
  owner_name: string;
  status: 'prospect' | 'customer' | 'former' | undefined;
  customer_since: string | undefined;
}

export interface PlannedContact {
  row: number;
  accountKey: string;
  account_name: string;
  input: NewContactInput;
}

export interface ImportPlan {
  rows: number;
  newAccounts: PlannedAccount[];
  newContacts: PlannedContact[];
  /** Existing accounts the file names, by key (owner and lower-cased name). */
  existingAccountIds: Map<string, number>;
  existingContacts: number;
  problems: { row: number; messages: string[] }[];
  unknownColumns: string[];
}

const accountKey = (ownerId: number, name: string) => `${ownerId}\u0000${name.trim().toLowerCase()}`;
const accountFields = newAccountSchema.pick({ name: true, status: true, customer_since: true });
/** Field path (e.g. "roles.0") → the CSV column it came from. */
const columnOf = (field: string, names: Record<string, ImportColumn>) => names[field.split('.')[0]!] ?? field.split('.')[0]!;

/** Reads the file and decides, row by row, what importing it would create; writes nothing. */
export async function planImport(db: DbOrTx, user: CurrentUser, text: string): Promise<ImportPlan> {
  const { rows, unknownColumns } = readCsv(text);
  const owners = await visibleOwners(db, user);
  const ownerByEmail = new Map(owners.map((owner) => [owner.email.toLowerCase(), owner]));
  const ownerIds = owners.map((owner) => owner.id);
  const existingAccounts = await db
    .selectFrom('accounts')
    .select(['id', 'name', 'owner_id'])
    .where('owner_id', 'in', ownerIds.length > 0 ? ownerIds : [-1])
    .execute();
  const existingAccountIds = new Map(existingAccounts.map((account) => [accountKey(account.owner_id, account.name), account.id]));

  const plan: ImportPlan = { rows: rows.length, newAccounts: [], newContacts: [], existingAccountIds: new Map(), existingContacts: 0, problems: [], unknownColumns };
  const valid: { row: number; key: string; account: PlannedAccount; contact?: NewContactInput }[] = [];
  // The same email twice in one file is one person twice, whether or not the first row is valid.
  const firstRowOfEmail = new Map<string, number>();
  for (const { row, values } of rows) {
    const messages: string[] = [];
    const email = values.email?.toLowerCase();
    if (email && firstRowOfEmail.has(email)) messages.push(`email: ${email} is also on row ${firstRowOfEmail.get(email)}`);
    else if (email) firstRowOfEmail.set(email, row);
    const account = accountFields.safeParse({ name: values.account, status: values.status?.toLowerCase(), customer_since: values.customer_since });
    if (!account.success)
      for (const [field, message] of Object.entries(fieldErrors(account.error))) messages.push(`${columnOf(field, { name: 'account' })}: ${message}`);
    const owner = values.owner_email ? ownerByEmail.get(values.owner_email.toLowerCase()) : owners.find((candidate) => candidate.id === user.id);
    if (!owner) messages.push(`owner_email: ${values.owner_email ?? 'you'} is not someone whose accounts you may import`);
    let contact: NewContactInput | undefined;
    if (contactColumns.some((column) => values[column])) {
      const parsed = newContactSchema.safeParse({
        ...Object.fromEntries(contactColumns.map((column) => [column, values[column]])),
        preferred_channel: values.preferred_channel?.toLowerCase().replace(/[\s-]+/g, '_'),
        roles: roleList(values.roles ?? ''),
      });
      if (parsed.success) contact = parsed.data;
      else for (const [field, message] of Object.entries(fieldErrors(parsed.error))) messages.push(`${columnOf(field, {})}: ${message}`);
    }
    if (messages.length > 0 || !account.success || !owner) {
      plan.problems.push({ row, messages });
      continue;
    }
    const key = accountKey(owner.id, account.data.name);
    valid.push({
      row,
      key,
      account: { key, name: account.data.name, owner_id: owner.id, owner_name: owner.name, status: account.data.status, customer_since: account.data.customer_since },
      contact,
    });
  }

  const matchedIds = [...new Set(valid.map(({ key }) => existingAccountIds.get(key)).filter((id): id is number => id !== undefined))];
  const existingContacts = [];
  for (let start = 0; start < matchedIds.length; start += 500)
    existingContacts.push(
      ...(await db
        .selectFrom('contacts')
        .select(['account_id', 'name', 'email'])
        .where('account_id', 'in', matchedIds.slice(start, start + 500))
        .execute()),
    );
  const keyOfAccount = new Map([...existingAccountIds].map(([key, id]) => [id, key]));
  const peopleAt = new Map<string, { name: string; email: string | null; row?: number }[]>();
  for (const existing of existingContacts) {
    const key = keyOfAccount.get(existing.account_id)!;
    peopleAt.set(key, [...(peopleAt.get(key) ?? []), { name: existing.name.toLowerCase(), email: existing.email?.toLowerCase() ?? null }]);
  }

  const plannedAccounts = new Map<string, PlannedAccount>();
  for (const { row, key, account, contact } of valid) {
    const existingId = existingAccountIds.get(key);
    if (existingId !== undefined) plan.existingAccountIds.set(key, existingId);
    else if (!plannedAccounts.has(key)) plannedAccounts.set(key, account);
    if (!contact) continue;
    const email = contact.email?.toLowerCase() ?? null;
    const name = contact.name.toLowerCase();
    const people = peopleAt.get(key) ?? [];
    const same = people.find((person) => (email && person.email === email) || (person.name === name && (!email || !person.email)));
    if (same?.row !== undefined) {
      plan.problems.push({ row, messages: [`name: ${contact.name} is also on row ${same.row} at ${account.name}`] });
    } else if (same) {
      plan.existingContacts += 1;
    } else {
      plan.newContacts.push({ row, accountKey: key, account_name: account.name, input: contact });
      people.push({ name, email, row });
      peopleAt.set(key, people);
    }
  }
  plan.newAccounts = [...plannedAccounts.values()];
  plan.problems.sort((a, b) => a.row - b.row);
  return plan;
}

/** Creates what the plan says, through the same services as the forms (audit trail included). Call inside a transaction. */
export async function applyImport(db: DbOrTx, clock: Clock, user: CurrentUser, plan: ImportPlan) {
  const accountIds = new Map(plan.existingAccountIds);
  for (const account of plan.newAccounts) {
    const created = await createAccount(db, clock, user, {
      name: account.name,
      owner_id: account.owner_id,
      status: account.status,
      customer_since: account.customer_since,
    });
    accountIds.set(account.key, created.id);
  }
  for (const contact of plan.newContacts) await createContact(db, clock, user, accountIds.get(contact.accountKey)!, contact.input);
  return { accountsCreated: plan.newAccounts.length, contactsCreated: plan.newContacts.length, rowsSkipped: plan.problems.length };
}
