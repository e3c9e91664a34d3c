import type { Clock } from '../clock.js';
import type { DbOrTx } from '../db/database.js';
import { ValidationFailed } from '../http/errors.js';
import { hashPassword, needsRehash, verifyPassword } from './passwords.js';
import { hashToken, revokeAllApiTokens } from './tokens.js';
import type { UserRole } from './users.table.js';
import type { SettingsInput } from './users.schemas.js';

/** The signed-in user as every service sees it. */
export interface CurrentUser {
  id: number;
  email: string;
  name: string;
  role: UserRole;
  manager_id: number | null;
  time_zone: string;
}

const currentUserColumns = ['id', 'email', 'name', 'role', 'manager_id', 'time_zone'] as const;

export function findActiveUser(db: DbOrTx, userId: number): Promise<CurrentUser | undefined> {
  return db
    .selectFrom('users')
    .select(currentUserColumns)
    .where('id', '=', userId)
    .where('active', '=', 1)
    .executeTakeFirst();
}

/** An active user by email: the one a sign-in or a lock notice is about. */
export function findActiveUserByEmail(db: DbOrTx, email: string): Promise<CurrentUser | undefined> {
  return db.selectFrom('users').select(currentUserColumns).where('email', '=', email.trim().toLowerCase()).where('active', '=', 1).executeTakeFirst();
}

export async function authenticate(db: DbOrTx, email: string, password: string): Promise<CurrentUser | null> {
  const user = await db
    .selectFrom('users')
    .select([...currentUserColumns, 'password_hash'])
    .where('email', '=', email.trim().toLowerCase())
    .where('active', '=', 1)
    .executeTakeFirst();
  // Verify against a hash even for unknown emails so timing does not reveal who has an account.
  const valid = await verifyPassword(user?.password_hash ?? unknownUserHash, password);
  if (!user || !valid) return null;
  const { password_hash: hash, ...current } = user;
  if (hash && needsRehash(hash)) await db.updateTable('users').set({ password_hash: await hashPassword(password) }).where('id', '=', user.id).execute();
  return current;
}
/** Made with the same settings as every new hash, so an unknown email takes as long as a known one. */
const unknownUserHash = '$argon2id$v=19$m=19456,p=1,t=2$j9Bgt2Lh7R4Aq9tM2S7U/w$YlKq6Cjeb/PYadbJUVO++S5i6iojTT2WW+9kep63Vdg';

/** "Last used" is kept to the minute: a write on every API call would halve the write throughput. */
const lastUsedPrecisionMs = 60_000;

export async function findUserByApiToken(db: DbOrTx, clock: Clock, token: string): Promise<CurrentUser | undefined> {
  const row = await db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select(['api_tokens.id as token_id', 'api_tokens.last_used_at', 'users.id', 'users.email', 'users.name', 'users.role', 'users.manager_id', 'users.time_zone'])
    .where('api_tokens.token_hash', '=', hashToken(token))
    .where('api_tokens.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('api_tokens.expires_at', 'is', null), eb('api_tokens.expires_at', '>', clock.now().toISOString())]))
    .where('users.active', '=', 1)
    .executeTakeFirst();
  if (!row) return undefined;
  const { token_id, last_used_at, ...user } = row;
  const now = clock.now();
  if (!last_used_at || now.getTime() - Date.parse(last_used_at) >= lastUsedPrecisionMs)
    await db.updateTable('api_tokens').set({ last_used_at: now.toISOString() }).where('id', '=', token_id).execute();
  return user;
}

export interface NewUser {
  email: string;
  name: string;
  role: UserRole;
  manager_id?: number;
  time_zone: string;
  password?: string;
}

export async function createUser(db: DbOrTx, clock: Clock, input: NewUser): Promise<CurrentUser> {
  const existing = await db.selectFrom('users').select('id').where('email', '=', input.email).executeTakeFirst();
  if (existing) throw new ValidationFailed({ email: 'Someone already has this email' });
  if (input.manager_id !== undefined) {
    const manager = await db
      .selectFrom('users')
      .select('id')
      .where('id', '=', input.manager_id)
      .where('role', 'in', ['manager', 'admin'])
      .executeTakeFirst();
    if (!manager) throw new ValidationFailed({ manager_id: 'Choose a manager' });
  }
  const now = clock.now().toISOString();
  return db
    .insertInto('users')
    .values({
      email: input.email,
      name: input.name,
      role: input.role,
      manager_id: input.manager_id ?? null,
      time_zone: input.time_zone,
      password_hash: input.password ? await hashPassword(input.password) : null,
      created_at: now,
      updated_at: now,
    })
    .returning(currentUserColumns)
    .executeTakeFirstOrThrow();
}

export function findUserByEmail(db: DbOrTx, email: string): Promise<CurrentUser | undefined> {
  return db.selectFrom('users').select(currentUserColumns).where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
}

export async function updateSettings(db: DbOrTx, clock: Clock, userId: number, input: SettingsInput) {
  await db
    .updateTable('users')
    .set({ ...input, updated_at: clock.now().toISOString() })
    .where('id', '=', userId)
    .execute();
}

export function listUsers(db: DbOrTx, { page, perPage }: { page: number; perPage: number }) {
  return db
    .selectFrom('users')
    .leftJoin('users as managers', 'managers.id', 'users.manager_id')
    .select([
      'users.id',
      'users.email',
      'users.name',
      'users.role',
      'users.time_zone',
      'users.active',
      'users.manager_id',
      'managers.name as manager_name',
    ])
    .where('users.deleted_at', 'is', null)
    .orderBy('users.name')
    .limit(perPage)
    .offset((page - 1) * perPage)
    .execute();
}

export const countUsers = async (db: DbOrTx) =>
  Number((await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('deleted_at', 'is', null).executeTakeFirstOrThrow()).n);

/** Everyone who can own accounts: the choices when a user's accounts move to someone else. */
export function listActiveUsers(db: DbOrTx) {
  return db.selectFrom('users').select(['id', 'name', 'email', 'role']).where('active', '=', 1).orderBy('name').execute();
}

export function listManagers(db: DbOrTx) {
  return db.selectFrom('users').select(['id', 'name']).where('role', 'in', ['manager', 'admin']).where('active', '=', 1).orderBy('name').execute();
}

export async function assignManager(db: DbOrTx, clock: Clock, userId: number, managerId: number | null) {
  if (managerId !== null) {
    const manager = await db.selectFrom('users').select('id').where('id', '=', managerId).where('role', 'in', ['manager', 'admin']).executeTakeFirst();
    if (!manager || managerId === userId) throw new ValidationFailed({ manager_id: 'Choose a manager' });
  }
  await db.updateTable('users').set({ manager_id: managerId, updated_at: clock.now().toISOString() }).where('id', '=', userId).execute();
}

/** Disabling ends the user's sessions and revokes their API tokens, so enabling them again revives none. */
export async function setUserActive(db: DbOrTx, clock: Clock, userId: number, active: boolean) {
  const now = clock.now().toISOString();
  await db.updateTable('users').set({ active: active ? 1 : 0, updated_at: now }).where('id', '=', userId).execute();
  if (active) return;
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
  await revokeAllApiTokens(db, clock, userId);
}
