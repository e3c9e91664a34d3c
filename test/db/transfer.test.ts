import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../src/accounts/accounts.service.js';
import { fixedClock } from '../../src/clock.js';
import { connectDatabase } from '../../src/db/connect.js';
import type { Db } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { importDatabase } from '../../src/db/transfer.js';
import { seedDemo } from '../../src/demo/demo-seed.js';
import { claimJobRun } from '../../src/jobs/job-runs.service.js';
import { search } from '../../src/search/search.service.js';
import { findActiveUser } from '../../src/users/users.service.js';
import { runCli } from '../support/run-cli.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { testNow } from '../support/test-app.js';

// A whole company moves from SQLite into the test database: PostgreSQL under `npm run test:pg`,
// a second SQLite file under `npm test`. Both moves go through the real command line.

const processTestTimeout = 90_000;


let folder: string;
let source: Db;
let target: TestDatabase;
beforeAll(async () => {
  folder = mkdtempSync(path.join(os.tmpdir(), 'buychain-transfer-'));
  source = connectDatabase(`sqlite:${path.join(folder, 'source.sqlite')}`);
  await migrateToLatest(source);
  const clock = fixedClock(testNow);
  await seedDemo(source, clock);
  await claimJobRun(source, clock, 'weekly-digest', '2026-W48');
  target = await createTestDatabase();
});
afterAll(async () => {
  await source.destroy();
  await target.drop();
  rmSync(folder, { recursive: true, force: true });
});

// SQLite's full-text tables are derived from the rows (and rebuilt by triggers on import), not moved.
const tablesOf = async (db: Db) => (await db.introspection.getTables()).map((table) => table.name).filter((name) => !/_fts(_|$)/.test(name)).sort();
const rowsOf = (db: Db, table: string) =>
  (db as Kysely<any>).selectFrom(table).selectAll().execute().then((rows) => rows.map((row) => JSON.stringify(row)).sort());

describe('moving a company between databases', () => {
  it('exports every table from SQLite and imports it elsewhere with every row, id and value intact', async () => {
    const file = path.join(folder, 'company.json');
    const exported = await runCli(`sqlite:${path.join(folder, 'source.sqlite')}`, 'export', file);
    expect(exported.output).toContain('Exported');
    expect(exported.code).toBe(0);
    const imported = await runCli(target.url, 'import', file);
    expect(imported.output).toContain('Imported');
    expect(imported.code).toBe(0);

    const tables = await tablesOf(source);
    expect(await tablesOf(target.db)).toEqual(tables);
    for (const table of ['users', 'accounts', 'contacts', 'contact_roles', 'touchpoints', 'touchpoint_contacts', 'audit_events', 'job_runs'])
      expect((await rowsOf(source, table)).length, table).toBeGreaterThan(0);
    for (const table of tables) expect(await rowsOf(target.db, table), table).toEqual(await rowsOf(source, table));

    // The demo users sign in with the same ids, and new rows get fresh ids after the imported ones.
    const riley = await target.db.selectFrom('users').select('id').where('email', '=', 'riley@demo.buychain.test').executeTakeFirstOrThrow();
    const owner = (await findActiveUser(target.db, riley.id))!;
    // The imported people are found by the search box at once.
    expect((await search(target.db, owner, 'maria lop')).map((result) => result.name)).toContain('Maria Lopez');
    const account = await target.db.transaction().execute((trx) => createAccount(trx, fixedClock(testNow), owner, { name: 'After The Move' }));
    const { maxId } = await source.selectFrom('accounts').select((eb) => eb.fn.max('id').as('maxId')).executeTakeFirstOrThrow();
    expect(account.id).toBe(Number(maxId) + 1);
  }, processTestTimeout);

  it('refuses to import into a database that already has data, and changes nothing', async () => {
    const file = path.join(folder, 'again.json');
    expect((await runCli(`sqlite:${path.join(folder, 'source.sqlite')}`, 'export', file)).code).toBe(0);
    const before = await rowsOf(target.db, 'accounts');
    await expect(importDatabase(target.db, file)).rejects.toThrow(/empty database: this one already has users/);
    expect(await rowsOf(target.db, 'accounts')).toEqual(before);
  }, processTestTimeout);

  it('refuses a file that is not a Buychain export', async () => {
    const file = path.join(folder, 'other.json');
    await import('node:fs/promises').then((fs) => fs.writeFile(file, JSON.stringify({ format: 'something-else', tables: [] })));
    await expect(importDatabase(target.db, file)).rejects.toThrow(/Not a Buychain export/);
  });
});
