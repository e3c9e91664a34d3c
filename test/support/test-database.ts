import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { connectDatabase } from '../../src/db/connect.js';
import type { Db } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';

export interface TestDatabase {
  db: Db;
  /** A DATABASE_URL for the same database, for code that opens its own connection (CLI, second process). */
  url: string;
  /** Opens another connection to the same database (e.g. a second app process). */
  reconnect(): Db;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database for one test file: a SQLite file in a temporary folder, or, when
 * TEST_DATABASE_URL names a PostgreSQL server, a new database created on it.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl?.startsWith('postgres')) {
    const name = `buychain_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const db = connectDatabase(url.toString());
    await migrateToLatest(db);
    return {
      db,
      url: url.toString(),
      reconnect: () => connectDatabase(url.toString()),
      async drop() {
        await db.destroy();
        const cleanup = new pg.Client({ connectionString: serverUrl });
        await cleanup.connect();
        await cleanup.query(`drop database if exists ${name} with (force)`);
        await cleanup.end();
      },
    };
  }
  const folder = mkdtempSync(path.join(os.tmpdir(), 'buychain-test-'));
  const url = `sqlite:${path.join(folder, 'test.sqlite')}`;
  const db = connectDatabase(url);
  await migrateToLatest(db);
  return {
    db,
    url,
    reconnect: () => connectDatabase(url),
    async drop() {
      await db.destroy();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
