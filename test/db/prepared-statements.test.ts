import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase } from '../../src/db/connect.js';
import type { Db } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { factories } from '../support/factories.js';
import { fixedClock } from '../../src/clock.js';
import { testNow } from '../support/test-app.js';

// Keeping statements prepared is a SQLite matter, so this file uses its own SQLite database on both runs.

let folder: string;
let db: Db;
let accountIds: number[];
beforeAll(async () => {
  folder = mkdtempSync(path.join(os.tmpdir(), 'buychain-prepared-'));
  db = connectDatabase(`sqlite:${path.join(folder, 'test.sqlite')}`);
  await migrateToLatest(db);
  const make = factories(db, fixedClock(testNow));
  const rep = await make.user();
  accountIds = [];
  for (const name of ['Alpha', 'Bravo', 'Charlie']) accountIds.push((await make.account(rep, { name })).id);
});
afterAll(async () => {
  await db.destroy();
  rmSync(folder, { recursive: true, force: true });
});

const nameOf = async (id: number) => (await db.selectFrom('accounts').select('name').where('id', '=', id).executeTakeFirst())?.name;

describe('prepared statements kept between runs', () => {
  it('answer each run with its own parameters and see writes made in between', async () => {
    expect(await nameOf(accountIds[0]!)).toBe('Alpha');
    expect(await nameOf(accountIds[1]!)).toBe('Bravo');
    await db.updateTable('accounts').set({ name: 'Bravo Renamed' }).where('id', '=', accountIds[1]!).execute();
    expect(await nameOf(accountIds[1]!)).toBe('Bravo Renamed');
    expect(await nameOf(999_999)).toBeUndefined();
  });

  it('still answer after more distinct statements than are kept have pushed them out', async () => {
    for (let index = 0; index < 600; index++)
      expect(await db.selectFrom('accounts').select(`name as name_${index}`).where('id', '=', accountIds[2]!).executeTakeFirst()).toEqual({ [`name_${index}`]: 'Charlie' });
    expect(await nameOf(accountIds[0]!)).toBe('Alpha');
  });
});
