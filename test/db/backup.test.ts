import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { backupSqlite } from '../../src/db/backup.js';
import { connectDatabase, openSqlite } from '../../src/db/connect.js';
import type { Db } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { factories } from '../support/factories.js';
import { testNow } from '../support/test-app.js';

// Backups are a SQLite matter (PostgreSQL has pg_dump), so this file uses its own SQLite database on both runs.

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const tsx = `${projectRoot}node_modules/.bin/tsx`;
const processTestTimeout = 90_000;

let folder: string;
let live: string;
let db: Db;
beforeAll(async () => {
  folder = mkdtempSync(path.join(os.tmpdir(), 'buychain-backup-'));
  live = path.join(folder, 'live.sqlite');
  db = connectDatabase(`sqlite:${live}`);
  await migrateToLatest(db);
});
afterAll(async () => {
  await db.destroy();
  rmSync(folder, { recursive: true, force: true });
});

const accountsIn = (sqlite: ReturnType<typeof openSqlite>) =>
  sqlite.prepare('select id, name, notes from accounts order by id').all() as { id: number; name: string; notes: string }[];

describe('backup FILE', () => {
  it('copies a live database under write load from another process; the restored copy holds every row committed before it started', async () => {
    const owner = await factories(db, fixedClock(testNow)).user();
    // Some thousands of pages, so the copy is not over in one breath.
    const notes = 'A long note about the account. '.repeat(60);
    await db.transaction().execute((trx) =>
      trx
        .insertInto('accounts')
        .values(Array.from({ length: 2000 }, (_, index) => ({ name: `Existing ${index}`, owner_id: owner.id, status: 'customer' as const, notes, created_at: testNow, updated_at: testNow })))
        .execute(),
    );

    const writer = spawn(tsx, ['test/db/write-load.ts'], { cwd: projectRoot, env: { ...process.env, DATABASE_URL: `sqlite:${live}`, OWNER_ID: String(owner.id) }, stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => writer.once('exit', resolve));
    await new Promise((resolve) => createInterface({ input: writer.stdout! }).once('line', resolve));

    const committedBefore = await db.selectFrom('accounts').select(['id', 'name', 'notes']).orderBy('id').execute();
    const backup = path.join(folder, 'backup.sqlite');
    const { pages } = await backupSqlite(live, backup);
    writer.stdin!.end('stop\n');
    expect(await exited).toBe(0);
    expect(pages).toBeGreaterThan(100);

    // Restoring is copying the backup into place (with the app stopped); open the copy as the app would.
    const restoredFile = path.join(folder, 'restored.sqlite');
    copyFileSync(backup, restoredFile);
    const restored = openSqlite(restoredFile);
    try {
      expect(restored.pragma('integrity_check', { simple: true })).toBe('ok');
      const rows = accountsIn(restored);
      expect(rows.slice(0, committedBefore.length)).toEqual(committedBefore);
      // Whatever the load added while the copy ran is whole rows, in order, or absent: never half a row.
      expect(rows.slice(committedBefore.length).every((row) => row.name.startsWith('Load ') && row.notes === 'written during the backup')).toBe(true);
    } finally {
      restored.close();
    }
  }, processTestTimeout);

  it('will not overwrite an existing file', async () => {
    await expect(backupSqlite(live, live)).rejects.toThrow(/already exists/);
  });

  it('on PostgreSQL explains how to use pg_dump and pg_restore instead', async () => {
    const cli = spawn(tsx, ['src/cli.ts', 'backup', path.join(folder, 'never.sqlite')], {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL: 'postgres://buychain@127.0.0.1:1/buychain', BASE_URL: 'http://buychain.test' },
    });
    let output = '';
    cli.stderr.on('data', (chunk) => (output += chunk));
    expect(await new Promise((resolve) => cli.once('exit', resolve))).toBe(2);
    expect(output).toContain('pg_dump --format=custom');
    expect(output).toContain('pg_restore');
  }, processTestTimeout);
});
