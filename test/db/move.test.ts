import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { fixedClock } from '../../src/clock.js';
import { parseConfig } from '../../src/config.js';
import { connectDatabase } from '../../src/db/connect.js';
import type { Db } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { demoPassword, seedDemo } from '../../src/demo/demo-seed.js';
import { createMailer } from '../../src/mail/mailer.js';
import { search } from '../../src/search/search.service.js';
import { findActiveUser } from '../../src/users/users.service.js';
import { type ThrowawayCluster, startThrowawayCluster } from '../../scripts/pg-cluster.js';
import { runCli } from '../support/run-cli.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { csrfTokenIn, testNow } from '../support/test-app.js';

// `cli move --to postgres://…` copies a SQLite company into an empty PostgreSQL database. Under
// `npm run test:pg` the target is a database on that server; under `npm test` a throwaway cluster
// of this file's own (the move has no SQLite target).

const processTestTimeout = 120_000;


/** The separators COPY's text format escapes, in a value that must arrive as it was. */
const awkwardText = 'Line one\nline two\ttabbed, a back\\slash and \\N, carriage\r return';

let folder: string;
let sourceUrl: string;
let source: Db;
let cluster: ThrowawayCluster | undefined;
let target: TestDatabase;
beforeAll(async () => {
  folder = mkdtempSync(path.join(os.tmpdir(), 'buychain-move-'));
  sourceUrl = `sqlite:${path.join(folder, 'source.sqlite')}`;
  source = connectDatabase(sourceUrl);
  await migrateToLatest(source);
  await seedDemo(source, fixedClock(testNow));
  await source.updateTable('touchpoints').set({ summary: awkwardText }).where('id', '=', 1).execute();
  if (!process.env.TEST_DATABASE_URL?.startsWith('postgres')) {
    cluster = await startThrowawayCluster();
    process.env.TEST_DATABASE_URL = cluster.url;
  }
  target = await createTestDatabase();
}, processTestTimeout);
afterAll(async () => {
  await source.destroy();
  await target?.drop();
  if (cluster) {
    delete process.env.TEST_DATABASE_URL;
    cluster.stop();
  }
  rmSync(folder, { recursive: true, force: true });
});

const tablesOf = async (db: Db) => (await db.introspection.getTables()).map((table) => table.name).filter((name) => !/_fts(_|$)/.test(name)).sort();
const rowsOf = (db: Db, table: string) =>
  (db as Kysely<any>).selectFrom(table).selectAll().execute().then((rows) => rows.map((row) => JSON.stringify(row)).sort());

describe('moving a SQLite company into PostgreSQL', () => {
  it('copies every table with every row, id and value, and the app serves from it', async () => {
    const moved = await runCli(sourceUrl, 'move', '--to', target.url);
    expect(moved.output).toMatch(/Moved [\d,]+ rows from \d+ tables/);
    expect(moved.code).toBe(0);

    const tables = await tablesOf(source);
    expect(await tablesOf(target.db)).toEqual(tables);
    for (const table of ['users', 'accounts', 'contacts', 'touchpoints', 'touchpoint_contacts', 'audit_events'])
      expect((await rowsOf(source, table)).length, table).toBeGreaterThan(0);
    for (const table of tables) expect(await rowsOf(target.db, table), table).toEqual(await rowsOf(source, table));
    const awkward = await target.db.selectFrom('touchpoints').select('summary').where('id', '=', 1).executeTakeFirstOrThrow();
    expect(awkward.summary).toBe(awkwardText);

    // The people are found by the search box at once; a rep signs in and sees their accounts; new rows
    // get ids after the moved ones.
    const riley = await target.db.selectFrom('users').select('id').where('email', '=', 'riley@demo.buychain.test').executeTakeFirstOrThrow();
    expect((await search(target.db, (await findActiveUser(target.db, riley.id))!, 'maria lop')).map((result) => result.name)).toContain('Maria Lopez');
    const config = parseConfig({ DATABASE_URL: target.url, BASE_URL: 'http://buychain.test', LOG_LEVEL: 'silent' });
    const app = createApp({ db: target.db, clock: fixedClock(testNow), mailer: createMailer({ from: 'test@buychain.test', outboxFolder: folder }), config, logger: pino({ level: 'silent' }) });
    const agent = supertest.agent(app);
    const login = await agent.get('/login');
    expect((await agent.post('/login').type('form').send({ _csrf: csrfTokenIn(login.text), email: 'riley@demo.buychain.test', password: demoPassword })).status).toBe(302);
    const account = await source.selectFrom('accounts').select(['id', 'name']).where('owner_id', '=', riley.id).orderBy('id').executeTakeFirstOrThrow();
    const page = await agent.get(`/accounts/${account.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(account.name.replace('&', '&amp;'));
    const form = await agent.get('/accounts/new');
    const created = await agent.post('/accounts').type('form').send({ _csrf: csrfTokenIn(form.text), name: 'After The Move' });
    expect(created.status).toBe(302);
    const { maxId } = await source.selectFrom('accounts').select((eb) => eb.fn.max('id').as('maxId')).executeTakeFirstOrThrow();
    expect(created.headers.location).toBe(`/accounts/${Number(maxId) + 1}`);
  }, processTestTimeout);

  it('refuses a target that already has a company, and changes nothing', async () => {
    const before = await rowsOf(target.db, 'accounts');
    const again = await runCli(sourceUrl, 'move', '--to', target.url);
    expect(again.code).not.toBe(0);
    expect(again.output).toContain('Move only into an empty PostgreSQL database');
    expect(await rowsOf(target.db, 'accounts')).toEqual(before);
  }, processTestTimeout);

  it('moves only from SQLite to PostgreSQL', async () => {
    const wrong = await runCli(sourceUrl, 'move', '--to', `sqlite:${path.join(folder, 'other.sqlite')}`);
    expect(wrong.code).toBe(2);
    expect(wrong.output).toContain('move needs --to postgres://');
  }, processTestTimeout);
});
