import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase } from '../../src/db/connect.js';
import type { Db } from '../../src/db/database.js';

// A SQLite file whose disk fills up mid-transaction (its page limit stands in for the disk: SQLite
// reports both as SQLITE_FULL and rolls the transaction back itself). A SQLite file in both suites.

let folder: string;
let db: Db;
beforeAll(async () => {
  folder = mkdtempSync(path.join(os.tmpdir(), 'buychain-disk-full-'));
  db = connectDatabase(`sqlite:${path.join(folder, 'full.sqlite')}`);
  await sql`create table notes (body text not null)`.execute(db);
  const { rows } = await sql<{ page_count: number }>`pragma page_count`.execute(db);
  await sql.raw(`pragma max_page_count = ${rows[0]!.page_count + 2}`).execute(db);
});
afterAll(async () => {
  await db.destroy();
  rmSync(folder, { recursive: true, force: true });
});

describe('a transaction that fills the disk', () => {
  it('fails with SQLite’s "database or disk is full", not with the rollback that follows it', async () => {
    const fillUp = db.transaction().execute(async (trx) => {
      for (let note = 0; note < 100; note++) await sql`insert into notes (body) values (${'x'.repeat(4000)})`.execute(trx);
    });
    await expect(fillUp).rejects.toMatchObject({ code: 'SQLITE_FULL', message: 'database or disk is full' });

    // Nothing of it was kept, and the connection works on.
    const { rows } = await sql<{ notes: number }>`select count(*) as notes from notes`.execute(db);
    expect(rows[0]!.notes).toBe(0);
    await db.transaction().execute((trx) => sql`insert into notes (body) values ('small')`.execute(trx));
  });
});
