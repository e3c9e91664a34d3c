import type { Clock } from '../clock.js';
import { riskInputsChanged } from '../risk/risk-cache.js';
import type { DbOrTx } from '../db/database.js';
import { lockAccountOf, lockAccounts } from '../db/row-locks.js';
import { accountVisibleTo } from '../accounts/account-access.js';
import { diff, recordAudit } from '../audit/audit.service.js';
import { mergeConcurrentEdit } from '../audit/concurrent-edits.js';
import { Conflict, NotFound, ValidationFailed } from '../http/errors.js';
import { isUniqueViolation } from '../db/dialect.js';
import type { CurrentUser } from '../users/users.service.js';
import type { ContactPatch, NewContactInput } from './contacts.schemas.js';
import type { ContactRole, ContactRow, ContactsTable } from './contacts.table.js';
import type { Insertable } from 'kysely';

export type Contact = ContactRow & { roles: ContactRole[] };

/** Where a change came from, for the audit trail (e.g. learned at a touchpoint). */
export interface ChangeContext {
  context?: string;
}

export interface EditOptions extends ChangeContext {
  /** The version the editor opened: others' changes since are kept, and a field both changed is a conflict. */
  baseVersion?: number;
}

async function rolesByContact(db: DbOrTx, contactIds: number[]): Promise<Map<number, ContactRole[]>> {
  const byContact = new Map<number, ContactRole[]>();
  if (contactIds.length === 0) return byContact;
  const rows = await db.selectFrom('contact_roles').select(['contact_id', 'role']).where('contact_id', 'in', contactIds).execute();
  for (const row of rows) byContact.set(row.contact_id, [...(byContact.get(row.contact_id) ?? []), row.role]);
  return byContact;
}

/** Every contact of an account with their roles: two queries whatever the size. */
export async function listContactsForAccount(
  db: DbOrTx,
  accountId: number,
  { includeArchived = false } = {},
): Promise<Contact[]> {
  let query = db.selectFrom('contacts').selectAll().where('account_id', '=', accountId);
  if (!includeArchived) query = query.where('archived', '=', 0);
  const [contacts, roles] = await Promise.all([
    query.orderBy('name').orderBy('id').execute(),
    db.selectFrom('contact_roles').select(['contact_id', 'role']).where('account_id', '=', accountId).execute(),
  ]);
  const rolesOf = new Map<number, ContactRole[]>();
  for (const row of roles) rolesOf.set(row.contact_id, [...(rolesOf.get(row.contact_id) ?? []), row.role]);
  return contacts.map((contact) => ({ ...contact, roles: sortRoles(rolesOf.get(contact.id) ?? []) }));
}

const roleOrder: ContactRole[] = ['decision_maker', 'boss', 'influencer', 'user', 'champion'];
const sortRoles = (roles: ContactRole[]) => [...roles].sort((a, b) => roleOrder.indexOf(a) - roleOrder.indexOf(b));

export async function getContactForUser(db: DbOrTx, user: CurrentUser, contactId: number): Promise<Contact> {
  const contact = await db
    .selectFrom('contacts')
    .innerJoin('accounts', 'accounts.id', 'contacts.account_id')
    .selectAll('contacts')
    .where('contacts.id', '=', contactId)
    .where(accountVisibleTo(user))
    .executeTakeFirst();
  if (!contact) throw new NotFound('That contact');
  return { ...contact, roles: sortRoles((await rolesByContact(db, [contactId])).get(contactId) ?? []) };
}

/** The reports-to line must stay inside the account and must not loop back to the contact. */
async function checkReportsTo(db: DbOrTx, accountId: number, contactId: number | null, reportsTo: number | null | undefined) {
  if (reportsTo === null || reportsTo === undefined) return;
  const chain = await db.selectFrom('contacts').select(['id', 'reports_to_contact_id']).where('account_id', '=', accountId).execute();
  const managerOf = new Map(chain.map((row) => [row.id, row.reports_to_contact_id]));
  if (!managerOf.has(reportsTo)) throw new ValidationFailed({ reports_to_contact_id: 'Choose someone at this account' });
  for (let current: number | null | undefined = reportsTo, steps = 0; current != null && steps <= chain.length; steps++) {
    if (current === contactId) throw new ValidationFailed({ reports_to_contact_id: 'That would make a reporting loop' });
    current = managerOf.get(current);
  }
}

async function replaceRoles(db: DbOrTx, contactId: number, accountId: number, roles: ContactRole[]) {
  await db.deleteFrom('contact_roles').where('contact_id', '=', contactId).execute();
  if (roles.length > 0)
    await db
      .insertInto('contact_roles')
      .values(roles.map((role) => ({ contact_id: contactId, account_id: accountId, role })))
      .execute();
}

/** An email as compared among an account's contacts: unique per account, so an import run twice at once adds each person once. */
export const contactEmailKey = (email: string | null | undefined) => (email?.trim() ? email.trim().toLowerCase() : null);

const emailTaken = (email: string, holder: string) => new ValidationFailed({ email: `${email} is already the email of ${holder} at this account` });

/** Refuses an email another contact of the account already has, before the unique key would. */
async function checkEmailFree(db: DbOrTx, accountId: number, email: string | null | undefined, exceptContactId?: number): Promise<void> {
  const key = contactEmailKey(email);
  if (key === null) return;
  let query = db.selectFrom('contacts').select('name').where('account_id', '=', accountId).where('email_key', '=', key);
  if (exceptContactId !== undefined) query = query.where('id', '<>', exceptContactId);
  const holder = await query.executeTakeFirst();
  if (holder) throw emailTaken(email!, holder.name);
}

/** Runs a write that sets a contact's email key; a concurrent twin that won the race becomes the same 400 as a known one. */
async function guardEmailKey<T>(email: string | null | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error) && email) throw emailTaken(email, 'someone else');
    throw error;
  }
}

/** The row of a new contact (the form's fields; roles go in contact_roles). */
export function newContactRow(accountId: number, fields: Omit<NewContactInput, 'roles'>, now: string): Insertable<ContactsTable> {
  return {
    account_id: accountId,
    name: fields.name,
    title: fields.title ?? null,
    email: fields.email ?? null,
    email_key: contactEmailKey(fields.email),
    phone: fields.phone ?? null,
    reports_to_contact_id: fields.reports_to_contact_id ?? null,
    started_in_role_on: fields.started_in_role_on ?? null,
    preferred_channel: fields.preferred_channel ?? null,
    preferred_time: fields.preferred_time ?? null,
    birthday: fields.birthday ?? null,
    leaving_on: null,
    left_on: null,
    departure_notice: null,
    departure_destination: null,
    replacement_contact_id: null,
    created_at: now,
    updated_at: now,
  };
}

export async function createContact(
  db: DbOrTx,
  clock: Clock,
  user: CurrentUser,
  accountId: number,
  input: NewContactInput,
  { context }: ChangeContext = {},
): Promise<Contact> {
  await lockAccounts(db, [accountId]);
  await checkReportsTo(db, accountId, null, input.reports_to_contact_id);
  await checkEmailFree(db, accountId, input.email);
  const now = clock.now().toISOString();
  const { roles, ...fields } = input;
  const { id } = await guardEmailKey(fields.email, () =>
      db
      .insertInto('contacts')
      .values(newContactRow(accountId, fields, now))
      .returning('id')
      .executeTakeFirstOrThrow(),
  );
  await replaceRoles(db, id, accountId, roles);
  await recordAudit(db, {
    entity_type: 'contact',
    entity_id: id,
    account_id: accountId,
    user_id: user.id,
    action: 'created',
    changes: diff({}, { ...fields, roles }),
    context,
    at: now,
    entity_version: 1,
  });
  await riskInputsChanged(db, [accountId]);
  return getContactForUser(db, user, id);
}

/**
 * Call inside a transaction. The account's write lock (row-locks.ts) is taken before the contact is
 * read, so the version check, the audit events since that version and the save all see one state:
 * simultaneous edits of one contact take turns, and each is merged against the one before it.
 */
export async function updateContact(
  db: DbOrTx,
  clock: Clock,
  user: CurrentUser,
  contactId: number,
  patch: ContactPatch,
  { context, baseVersion }: EditOptions = {},
): Promise<Contact> {
  await lockAccountOf(db, 'contacts', contactId);
  const before = await getContactForUser(db, user, contactId);
  if (patch.reports_to_contact_id !== undefined) await checkReportsTo(db, before.account_id, contactId, patch.reports_to_contact_id);
  if (before.status === 'left' && patch.status !== undefined)
    throw new ValidationFailed({ status: 'This contact has left; record a return as a new contact' });
  const { notice, ...rest } = patch;
  const requested: Record<string, unknown> = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
  if (notice !== undefined) requested.departure_notice = notice;
  if (patch.status === 'active') Object.assign(requested, { leaving_on: null, departure_notice: null });
  const after =
    baseVersion === undefined
      ? requested
      : await mergeConcurrentEdit(db, 'contact', before, requested, baseVersion, (column) => (column === 'departure_notice' ? 'notice' : column));
  const changes = diff(before, after);
  if (Object.keys(changes).length === 0) return before;
  const now = clock.now().toISOString();
  const { roles, ...columns } = Object.fromEntries(Object.keys(changes).map((key) => [key, after[key] ?? null]));
  const newEmail = 'email' in columns ? ((columns.email as string | null) ?? null) : undefined;
  if (newEmail !== undefined) await checkEmailFree(db, before.account_id, newEmail, contactId);
  // Guarded by the version read above: a writer that skipped the account lock cannot be overwritten silently.
  const saved = await guardEmailKey(newEmail, () =>
    db
      .updateTable('contacts')
      .set({ ...columns, ...(newEmail !== undefined ? { email_key: contactEmailKey(newEmail) } : {}), updated_at: now, version: before.version + 1 })
      .where('id', '=', contactId)
      .where('version', '=', before.version)
      .executeTakeFirst(),
  );
  if (Number(saved.numUpdatedRows) === 0) throw new Conflict('This contact is being changed by someone else right now. Nothing was saved; try again.');
  if (roles !== undefined) await replaceRoles(db, contactId, before.account_id, (roles ?? []) as ContactRole[]);
  await recordAudit(db, {
    entity_type: 'contact',
    entity_id: contactId,
    account_id: before.account_id,
    user_id: user.id,
    action: patch.status === 'leaving' && before.status !== 'leaving' ? 'marked_leaving' : 'updated',
    changes,
    context,
    at: now,
    entity_version: before.version + 1,
  });
  await riskInputsChanged(db, [before.account_id]);
  return getContactForUser(db, user, contactId);
}

export async function setContactArchived(db: DbOrTx, clock: Clock, user: CurrentUser, contactId: number, archived: boolean) {
  await lockAccountOf(db, 'contacts', contactId);
  const before = await getContactForUser(db, user, contactId);
  if (Boolean(before.archived) === archived) return before;
  const now = clock.now().toISOString();
  // Only the archived flag changes, so no version guard is needed: the increment is atomic.
  const { version } = await db
    .updateTable('contacts')
    .set((eb) => ({ archived: archived ? 1 : 0, updated_at: now, version: eb('version', '+', 1) }))
    .where('id', '=', contactId)
    .returning('version')
    .executeTakeFirstOrThrow();
  await recordAudit(db, {
    entity_type: 'contact',
    entity_id: contactId,
    account_id: before.account_id,
    user_id: user.id,
    action: archived ? 'archived' : 'restored',
    changes: { archived: [Boolean(before.archived), archived] },
    at: now,
    entity_version: version,
  });
  await riskInputsChanged(db, [before.account_id]);
  return getContactForUser(db, user, contactId);
}

export function contactToJson(contact: Contact) {
  return {
    id: contact.id,
    account_id: contact.account_id,
    name: contact.name,
    title: contact.title,
    email: contact.email,
    phone: contact.phone,
    roles: contact.roles,
    reports_to_contact_id: contact.reports_to_contact_id,
    started_in_role_on: contact.started_in_role_on,
    birthday: contact.birthday,
    preferred_channel: contact.preferred_channel,
    preferred_time: contact.preferred_time,
    status: contact.status,
    leaving_on: contact.leaving_on,
    left_on: contact.left_on,
    notice: contact.departure_notice,
    destination: contact.departure_destination,
    replacement_contact_id: contact.replacement_contact_id,
    archived: Boolean(contact.archived),
    last_met_at: contact.last_touch_at,
    created_at: contact.created_at,
    updated_at: contact.updated_at,
    /** Send it back with a PATCH to have changes made by others since kept, and conflicts refused. */
    version: contact.version,
  };
}
