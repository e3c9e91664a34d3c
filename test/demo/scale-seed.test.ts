import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase } from '../../src/db/connect.js';
import type { Db } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { scaleEmails, scalePassword, seedScale } from '../../src/demo/scale-seed.js';
import { search } from '../../src/search/search.service.js';
import { authenticate, findUserByEmail } from '../../src/users/users.service.js';
import { testNow } from '../support/test-app.js';

const reps = 12;
const accountsPerRep = 20;
const ninetyDaysAgo = new Date(Date.parse(testNow) - 90 * 86_400_000).toISOString();

/** A migrated SQLite file, even when the suite runs on PostgreSQL: the scale seed writes SQLite only. */
async function sqliteDatabase() {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'buychain-scale-'));
  const file = path.join(folder, 'scale.sqlite');
  const db = connectDatabase(`sqlite:${file}`);
  await migrateToLatest(db);
  return {
    db,
    file,
    async drop() {
      await db.destroy();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

describe('seed --scale', () => {
  let database: { db: Db; file: string; drop(): Promise<void> };
  let indexesBefore: unknown[];
  let counts: Awaited<ReturnType<typeof seedScale>>['counts'];
  const rows = <T>(query: ReturnType<typeof sql<T>>) => query.execute(database.db).then((result) => result.rows);
  const one = async <T>(query: ReturnType<typeof sql<T>>) => (await rows(query))[0]!;

  beforeAll(async () => {
    database = await sqliteDatabase();
    indexesBefore = await rows(sql`select name, sql from sqlite_master where type = 'index' order by name`);
    ({ counts } = await seedScale(database.file, { reps, accountsPerRep, now: new Date(testNow) }));
  });
  afterAll(() => database.drop());

  it('builds teams of ten reps, each with a manager, plus one admin', async () => {
    const users = await rows<{ role: string; count: number }>(sql`select role, count(*) as count from users group by role order by role`);
    expect(users).toEqual([
      { role: 'admin', count: 1 },
      { role: 'manager', count: 2 },
      { role: 'rep', count: reps },
    ]);
    const teams = await rows<{ reps: number }>(
      sql`select count(reps.id) as reps from users managers join users reps on reps.manager_id = managers.id where managers.role = 'manager' group by managers.id order by managers.id`,
    );
    expect(teams.map((team) => team.reps)).toEqual([10, 2]);
    expect(await one(sql`select count(*) as orphans from users where role = 'rep' and manager_id is null`)).toEqual({ orphans: 0 });
  });

  it('gives every rep their accounts, about ten contacts and a hundred touchpoints each', async () => {
    const owners = await rows<{ role: string; accounts: number }>(
      sql`select users.role, count(*) as accounts from accounts join users on users.id = accounts.owner_id group by users.id`,
    );
    expect(owners).toHaveLength(reps);
    expect(owners.every((owner) => owner.role === 'rep' && owner.accounts === accountsPerRep)).toBe(true);
    expect(counts.accounts).toBe(reps * accountsPerRep);
    expect(counts.contacts / counts.accounts).toBeGreaterThan(8);
    expect(counts.contacts / counts.accounts).toBeLessThan(12);
    expect(counts.touchpoints / counts.accounts).toBeGreaterThan(90);
    expect(counts.touchpoints / counts.accounts).toBeLessThan(125);
    expect(counts.commitments).toBeGreaterThan(0);
    expect(counts.complaints).toBeGreaterThan(0);

    const participants = await one<{ fewest: number; most: number }>(
      sql`select min(n) as fewest, max(n) as most from (select count(*) as n from touchpoint_contacts group by touchpoint_id)`,
    );
    expect(participants).toEqual({ fewest: 1, most: 3 });
    expect(await one(sql`select count(*) as bare from touchpoints where id not in (select touchpoint_id from touchpoint_contacts)`)).toEqual({ bare: 0 });

    // Each rep's key account has the long history the printable-report benchmark needs.
    const largest = await rows<{ touchpoints: number }>(sql`select max(n) as touchpoints from (select account_id, owner_id, count(*) as n from touchpoints join accounts on accounts.id = account_id group by account_id) group by owner_id`);
    expect(largest.every((rep) => rep.touchpoints >= 500)).toBe(true);
  });

  it('maps buying chains with every role and reports-to lines inside the account', async () => {
    const roles = Object.fromEntries(
      (await rows<{ role: string; count: number }>(sql`select role, count(*) as count from contact_roles group by role`)).map((row) => [row.role, row.count]),
    );
    const accounts = counts.accounts;
    expect(roles.decision_maker).toBeGreaterThan(accounts * 0.9);
    expect(roles.boss).toBeGreaterThan(accounts * 0.8);
    expect(roles.boss).toBeLessThanOrEqual(accounts);
    expect(roles.user).toBeGreaterThan(roles.influencer);
    expect(roles.influencer).toBeGreaterThan(accounts);
    expect(roles.champion).toBeGreaterThan(accounts * 0.4);

    expect(await one(sql`select count(*) as outside from contacts c join contacts boss on boss.id = c.reports_to_contact_id where boss.account_id <> c.account_id`)).toEqual({ outside: 0 });
    expect(await one(sql`select count(*) as dangling from contacts where reports_to_contact_id is not null and reports_to_contact_id not in (select id from contacts)`)).toEqual({ dangling: 0 });
    const linked = await one<{ share: number }>(sql`select avg(reports_to_contact_id is not null) as share from contacts`);
    expect(linked.share).toBeGreaterThan(0.8);
  });

  it('has the skew of real life: neglected, single-threaded, and decision-makers leaving or gone', async () => {
    const quiet = await one<{ count: number }>(sql`select count(*) as count from accounts where last_touchpoint_at < ${ninetyDaysAgo}`);
    expect(quiet.count).toBeGreaterThan(counts.accounts * 0.03);
    expect(quiet.count).toBeLessThan(counts.accounts * 0.2);

    const warmContacts = await rows<{ warm: number }>(sql`
      select (select count(distinct tc.contact_id) from touchpoint_contacts tc join contacts c on c.id = tc.contact_id
              where tc.account_id = accounts.id and c.status = 'active' and tc.occurred_at >= ${ninetyDaysAgo}) as warm
      from accounts`);
    const singleThreaded = warmContacts.filter((account) => account.warm === 1).length;
    expect(singleThreaded).toBeGreaterThan(counts.accounts * 0.08);
    expect(warmContacts.filter((account) => account.warm >= 2).length).toBeGreaterThan(counts.accounts * 0.5);

    const departures = await one<{ left: number; unreplaced: number; replaced: number; leaving: number }>(sql`
      select sum(c.status = 'left') as "left",
             sum(c.status = 'left' and c.replacement_contact_id is null) as unreplaced,
             sum(c.status = 'left' and c.replacement_contact_id is not null) as replaced,
             sum(c.status = 'leaving') as leaving
      from contacts c join contact_roles r on r.contact_id = c.id and r.role = 'decision_maker'`);
    expect(departures.unreplaced).toBeGreaterThan(0);
    expect(departures.replaced).toBeGreaterThan(0);
    expect(departures.leaving).toBeGreaterThan(0);
    expect(departures.left).toBeLessThan(counts.accounts * 0.2);
    // Nobody takes part in a meeting after they left.
    expect(await one(sql`select count(*) as ghosts from touchpoint_contacts tc join contacts c on c.id = tc.contact_id where c.left_on is not null and tc.occurred_at > c.left_on || 'T23:59:59'`)).toEqual({ ghosts: 0 });

    const promises = await one<{ overdue: number; kept: number }>(sql`
      select sum(done_at is null and due_on < ${testNow.slice(0, 10)}) as overdue, sum(done_at is not null) as kept from commitments`);
    expect(promises.overdue).toBeGreaterThan(0);
    expect(promises.kept).toBeGreaterThan(promises.overdue);
    const lateFollowUps = await one<{ count: number }>(sql`select count(*) as count from complaints where verified_on is null and follow_up_due_on < ${testNow.slice(0, 10)}`);
    expect(lateFollowUps.count).toBeGreaterThan(0);
  });

  it('keeps the touchpoint summaries on contacts and accounts exactly as logging would', async () => {
    const contactMismatches = await one(sql`
      select count(*) as mismatches from contacts c where
        c.touchpoint_count <> (select count(*) from touchpoint_contacts tc where tc.contact_id = c.id)
        or c.last_touch_at is not (select max(occurred_at) from touchpoint_contacts tc where tc.contact_id = c.id)
        or c.last_outside_meeting_at is not (select max(occurred_at) from touchpoint_contacts tc where tc.contact_id = c.id
             and tc.location = 'outside_office' and tc.kind in ('meeting', 'coffee', 'meal'))`);
    expect(contactMismatches).toEqual({ mismatches: 0 });
    const accountMismatches = await one(sql`
      select count(*) as mismatches from accounts a where a.last_touchpoint_at is not (select max(occurred_at) from touchpoints t where t.account_id = a.id)`);
    expect(accountMismatches).toEqual({ mismatches: 0 });
  });

  it('leaves the schema as the migrations made it, consistent, and the users able to sign in', async () => {
    expect(await rows(sql`select name, sql from sqlite_master where type = 'index' order by name`)).toEqual(indexesBefore);
    expect(await rows(sql`pragma foreign_key_check`)).toEqual([]);
    const rep = await authenticate(database.db, scaleEmails.rep(1), scalePassword);
    expect(rep).toMatchObject({ role: 'rep' });
    expect(await authenticate(database.db, scaleEmails.manager(2), scalePassword)).toMatchObject({ role: 'manager' });
  });

  it('fills the search index, and keeps it following later writes', async () => {
    const admin = (await findUserByEmail(database.db, scaleEmails.admin))!;
    const someone = await one<{ id: number; name: string; account_id: number }>(sql`select id, name, account_id from contacts order by id desc limit 1`);
    expect((await search(database.db, admin, someone.name)).map((result) => result.id)).toContain(someone.id);
    expect(await rows(sql`select name from sqlite_master where type = 'trigger' and name like '%fts%' order by name`)).toHaveLength(6);
    await database.db.updateTable('contacts').set({ name: 'Zebulon Quartermaine' }).where('id', '=', someone.id).execute();
    expect((await search(database.db, admin, 'zebulon quart')).map((result) => result.id)).toEqual([someone.id]);
  });

  it('generates the same company from the same seed', async () => {
    const fingerprint = async () => {
      const other = await sqliteDatabase();
      await seedScale(other.file, { reps: 1, accountsPerRep: 3, now: new Date(testNow) });
      const result = await sql`select group_concat(id || name || occurred_at, '') as all_of_it from (select t.id, c.name, t.occurred_at from touchpoints t join touchpoint_contacts tc on tc.touchpoint_id = t.id join contacts c on c.id = tc.contact_id order by t.id, c.id)`.execute(other.db);
      await other.drop();
      return result.rows[0];
    };
    expect(await fingerprint()).toEqual(await fingerprint());
  });
});
