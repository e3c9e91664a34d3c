import type { Clock } from '../clock.js';
import type { DbOrTx } from '../db/database.js';
import { containsIgnoringCase, isUniqueViolation } from '../db/dialect.js';
import { diff, recordAudit } from '../audit/audit.service.js';
import { NotFound, ValidationFailed } from '../http/errors.js';
import type { Paging } from '../http/pagination.js';
import type { CurrentUser } from '../users/users.service.js';
import { accountVisibleTo, visibleOwners } from './account-access.js';
import type { AccountPatch, NewAccountInput } from './accounts.schemas.js';
import { lockAccounts } from '../db/row-locks.js';
import type { AccountsTable } from './accounts.table.js';
import type { Insertable } from 'kysely';

const accountColumns = [
  'accounts.id',
  'accounts.name',
  'accounts.owner_id',
  'users.name as owner_name',
  'accounts.status',
  'accounts.meeting_cadence_days',
  'accounts.notes',
  'accounts.archived',
  'accounts.customer_since',
  'accounts.origin_contact_id',
  'accounts.version',
  'accounts.created_at',
  'accounts.updated_at',
] as const;

function accountsOf(db: DbOrTx, user: CurrentUser) {
  return db.selectFrom('accounts').innerJoin('users', 'users.id', 'accounts.owner_id').where(accountVisibleTo(user));
}

export type Account = Awaited<ReturnType<typeof getAccountForUser>>;

export async function getAccountForUser(db: DbOrTx, user: CurrentUser, accountId: number) {
  const account = await accountsOf(db, user).select(accountColumns).where('accounts.id', '=', accountId).executeTakeFirst();
  if (!account) throw new NotFound('That account');
  return account;
}

export interface AccountListOptions {
  paging: Paging;
  search?: string;
  ownerId?: number;
  includeArchived?: boolean;
}

export async function listAccountsForUser(db: DbOrTx, user: CurrentUser, options: AccountListOptions) {
  let query = accountsOf(db, user);
  if (!options.includeArchived) query = query.where('accounts.archived', '=', 0);
  if (options.ownerId !== undefined) query = query.where('accounts.owner_id', '=', options.ownerId);
  const { search } = options;
  if (search) query = query.where((eb) => containsIgnoringCase(db, eb.ref('accounts.name'), search));
  const [rows, count] = await Promise.all([
    query
      .select(accountColumns)
      .orderBy('accounts.name')
      .orderBy('accounts.id')
      .limit(options.paging.perPage)
      .offset((options.paging.page - 1) * options.paging.perPage)
      .execute(),
    query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.total) };
}

/**
 * The name an account is known by among its owner's accounts: trimmed, inner white space folded to
 * one space, lower-cased. Unique per owner (so "ACME  Corp" and "Acme Corp" are one account, and
 * two imports of one file at once create it once).
 */
export const accountNameKey = (name: string) => name.trim().replace(/\s+/g, ' ').toLowerCase();

const nameTaken = (name: string) =>
  new ValidationFailed({ name: `This owner already has an account named “${name}”: open that one, or choose another name` });

/** Refuses a name the owner already gives another account, before the unique key would. */
async function checkNameFree(db: DbOrTx, ownerId: number, name: string, exceptAccountId?: number): Promise<void> {
  let query = db.selectFrom('accounts').select('name').where('owner_id', '=', ownerId).where('name_key', '=', accountNameKey(name));
  if (exceptAccountId !== undefined) query = query.where('id', '<>', exceptAccountId);
  const clash = await query.executeTakeFirst();
  if (clash) throw nameTaken(clash.name);
}

/** Runs a write that sets an account's name key; a concurrent twin that won the race becomes the same 400 as a known one. */
async function guardNameKey<T>(name: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(name);
    throw error;
  }
}

async function checkOwner(db: DbOrTx, user: CurrentUser, ownerId: number): Promise<void> {
  const owners = await visibleOwners(db, user);
  if (!owners.some((owner) => owner.id === ownerId)) throw new ValidationFailed({ owner_id: 'Choose someone on your team' });
}

/** The row of a new account owned by `ownerId`. */
export function newAccountRow(ownerId: number, input: Omit<NewAccountInput, 'owner_id'>, now: string): Insertable<AccountsTable> {
  return {
    name: input.name,
    name_key: accountNameKey(input.name),
    owner_id: ownerId,
    status: input.status ?? 'prospect',
    meeting_cadence_days: input.meeting_cadence_days ?? 30,
    notes: input.notes ?? '',
    customer_since: input.customer_since ?? null,
    origin_contact_id: null,
    created_at: now,
    updated_at: now,
  };
}

export async function createAccount(db: DbOrTx, clock: Clock, user: CurrentUser, input: NewAccountInput) {
  const ownerId = input.owner_id ?? user.id;
  if (ownerId !== user.id) await checkOwner(db, user, ownerId);
  await checkNameFree(db, ownerId, input.name);
  const now = clock.now().toISOString();
  const { id } = await guardNameKey(input.name, () =>
    db
      .insertInto('accounts')
      .values(newAccountRow(ownerId, input, now))
      .returning('id')
      .executeTakeFirstOrThrow(),
  );
  await recordAudit(db, {
    entity_type: 'account',
    entity_id: id,
    account_id: id,
    user_id: user.id,
    action: 'created',
    changes: diff({}, { name: input.name, status: input.status ?? 'prospect' }),
    at: now,
  });
  return getAccountForUser(db, user, id);
}

export async function updateAccount(db: DbOrTx, clock: Clock, user: CurrentUser, accountId: number, patch: AccountPatch) {
  await lockAccounts(db, [accountId]);
  const before = await getAccountForUser(db, user, accountId);
  if (patch.owner_id !== undefined && patch.owner_id !== before.owner_id) await checkOwner(db, user, patch.owner_id);
  const { archived, ...fields } = patch;
  const changes: Record<string, unknown> = { ...fields };
  if (archived !== undefined) changes.archived = archived ? 1 : 0;
  const changed = diff(before, changes);
  if (Object.keys(changed).length === 0) return before;
  const name = patch.name ?? before.name;
  const ownerId = patch.owner_id ?? before.owner_id;
  const renamed = 'name' in changed || 'owner_id' in changed;
  if (renamed) await checkNameFree(db, ownerId, name, accountId);
  const now = clock.now().toISOString();
  const values = Object.fromEntries(Object.keys(changed).map((key) => [key, changes[key] ?? null]));
  await guardNameKey(name, () =>
    db
      .updateTable('accounts')
      .set((eb) => ({
        ...values,
        ...(renamed ? { name_key: accountNameKey(name) } : {}),
        updated_at: now,
        version: before.version + 1,
        risk_version: eb('risk_version', '+', 1),
      }))
      .where('id', '=', accountId)
      .execute(),
  );
  await recordAudit(db, {
    entity_type: 'account',
    entity_id: accountId,
    account_id: accountId,
    user_id: user.id,
    action: archived === true ? 'archived' : 'updated',
    changes: changed,
    at: now,
  });
  return getAccountForUser(db, user, accountId);
}

export function accountToJson(account: Account) {
  return {
    id: account.id,
    name: account.name,
    owner_id: account.owner_id,
    owner_name: account.owner_name,
    status: account.status,
    meeting_cadence_days: account.meeting_cadence_days,
    notes: account.notes,
    customer_since: account.customer_since,
    archived: Boolean(account.archived),
    created_at: account.created_at,
    updated_at: account.updated_at,
  };
}
