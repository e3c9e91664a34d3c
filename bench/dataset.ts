import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../src/clock.js';
import { connectDatabase } from '../src/db/connect.js';
import type { Db } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { describeScaleSeed, scaleEmails, seedScale } from '../src/demo/scale-seed.js';
import { createApiToken } from '../src/users/tokens.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const cacheFolder = path.join(root, 'bench/cache');

/** Whatever shapes the seeded file: the generator and the schema. A change to either seeds anew. */
function generatorHash(): string {
  const hash = createHash('sha256');
  const migrations = fs.readdirSync(path.join(root, 'migrations')).sort().map((file) => path.join('migrations', file));
  for (const file of ['src/demo/scale-seed.ts', 'src/demo/demo-seed.ts', ...migrations]) hash.update(file).update(fs.readFileSync(path.join(root, file)));
  return hash.digest('hex').slice(0, 12);
}

/** The seeded database for this scale, from the cache when the generator and migrations are unchanged. */
export async function cachedDataset(reps: number): Promise<string> {
  fs.mkdirSync(cacheFolder, { recursive: true });
  const name = `scale-${reps}-${generatorHash()}.sqlite`;
  const file = path.join(cacheFolder, name);
  if (fs.existsSync(file)) {
    console.log(`Using the cached company of ${reps} reps (${path.relative(root, file)}).`);
    return file;
  }
  // Stale files of this scale are gigabytes at N=500: keep one per scale.
  for (const stale of fs.readdirSync(cacheFolder).filter((entry) => entry.startsWith(`scale-${reps}-`)))
    fs.rmSync(path.join(cacheFolder, stale), { force: true });
  const partial = `${file}.partial`;
  for (const leftover of [partial, `${partial}-wal`, `${partial}-shm`]) fs.rmSync(leftover, { force: true });
  const db = connectDatabase(`sqlite:${partial}`);
  await migrateToLatest(db);
  await db.destroy();
  console.log(`Seeding a company of ${reps} reps (cached for later runs)…`);
  console.log(describeScaleSeed(await seedScale(partial, { reps, now: systemClock.now(), log: (line) => console.log(`  ${line}`) })));
  fs.renameSync(partial, file);
  return file;
}

/**
 * A throwaway folder for one run: a copy of the database, so the write scenarios never dirty the
 * cache, and the server's working directory, so the mail it writes to ./data/outbox stays in it.
 */
export function runFolder(cached: string): { folder: string; database: string } {
  const folder = path.join(cacheFolder, `run-${process.pid}`);
  fs.mkdirSync(folder, { recursive: true });
  const database = path.join(folder, 'buychain.sqlite');
  fs.copyFileSync(cached, database, fs.constants.COPYFILE_FICLONE);
  return { folder, database };
}

export interface BenchUser {
  id: number;
  email: string;
  token: string;
}

/** Who and what the scenarios use: realistic users and accounts, found by looking, never by id arithmetic. */
export interface Subjects {
  rep: BenchUser;
  manager: BenchUser;
  /** One of the rep's accounts with a history of about a hundred touchpoints. */
  typicalAccountId: number;
  /** The rep's account with the longest history (about 500 touchpoints). */
  reportAccountId: number;
  reportAccountTouchpoints: number;
  /** The rep's accounts with one or two of their active contacts, for logging touchpoints. */
  writeTargets: { accountId: number; contactIds: number[] }[];
  /** Full names of some of the rep's contacts, as a person would type them into the search box. */
  searchNames: string[];
}

export async function findSubjects(db: Db): Promise<Subjects> {
  const user = async (email: string): Promise<BenchUser> => {
    const { id } = await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow();
    return { id, email, token: await createApiToken(db, systemClock, id, 'benchmark') };
  };
  const rep = await user(scaleEmails.rep(1));
  const manager = await user(scaleEmails.manager(1));

  const histories = await db
    .selectFrom('touchpoints')
    .innerJoin('accounts', 'accounts.id', 'touchpoints.account_id')
    .select((eb) => ['touchpoints.account_id', eb.fn.countAll<number>().as('touchpoints')])
    .where('accounts.owner_id', '=', rep.id)
    .where('accounts.archived', '=', 0)
    .groupBy('touchpoints.account_id')
    .execute();
  const typical = [...histories].sort((a, b) => Math.abs(a.touchpoints - 100) - Math.abs(b.touchpoints - 100) || a.account_id - b.account_id)[0]!;
  const longest = [...histories].sort((a, b) => b.touchpoints - a.touchpoints)[0]!;

  const contacts = await db
    .selectFrom('contacts')
    .innerJoin('accounts', 'accounts.id', 'contacts.account_id')
    .select(['contacts.id', 'contacts.account_id', 'contacts.name'])
    .where('accounts.owner_id', '=', rep.id)
    .where('accounts.archived', '=', 0)
    .where('contacts.status', '=', 'active')
    .orderBy('contacts.id')
    .execute();
  const byAccount = new Map<number, number[]>();
  for (const contact of contacts) byAccount.set(contact.account_id, [...(byAccount.get(contact.account_id) ?? []), contact.id]);
  return {
    rep,
    manager,
    typicalAccountId: typical.account_id,
    reportAccountId: longest.account_id,
    reportAccountTouchpoints: longest.touchpoints,
    writeTargets: [...byAccount].map(([accountId, ids], index) => ({ accountId, contactIds: ids.slice(0, 1 + (index % 2)) })),
    searchNames: [...new Set(contacts.filter((_, index) => index % 7 === 0).map((contact) => contact.name))].slice(0, 50),
  };
}

export async function datasetSize(db: Db) {
  const count = async (table: 'accounts' | 'contacts' | 'touchpoints') =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow()).count);
  return { accounts: await count('accounts'), contacts: await count('contacts'), touchpoints: await count('touchpoints') };
}

/** Managers' weekly digests and every rep's week, which a server catches up on when it starts. */
export async function setScheduledMailOptedOut(db: Db, optedOut: boolean) {
  await db.updateTable('users').set({ digest_opt_out: optedOut ? 1 : 0 }).where('role', '=', 'manager').execute();
  await db.updateTable('users').set({ week_email_opt_out: optedOut ? 1 : 0 }).execute();
}
