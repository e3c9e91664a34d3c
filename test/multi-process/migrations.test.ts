import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

// Real separate processes migrating one database: a SQLite file under `npm test`, PostgreSQL under
// `npm run test:pg`. The database starts at the latest migration with one more pending, made up by
// the process itself (migrate-with-test-migration.ts). Starting Node processes on a busy machine can
// take several seconds: a generous time limit.
const processTestTimeout = 90_000;

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const tsx = `${projectRoot}node_modules/.bin/tsx`;
const children: ChildProcess[] = [];

/** Starts a migrating process; resolves once it is connected, then `go()` lets it migrate. */
async function migratingProcess(databaseUrl: string, migration: 'slow' | 'crash') {
  const child = spawn(tsx, ['test/multi-process/migrate-with-test-migration.ts'], {
    cwd: projectRoot,
    env: { ...process.env, DATABASE_URL: databaseUrl, TEST_MIGRATION: migration },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines: string[] = [];
  let errors = '';
  child.stderr!.on('data', (chunk) => (errors += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      if (line === 'ready') resolve();
    });
    void exited.then((code) => reject(new Error(`exited with ${code} before it was ready: ${errors}`)));
  });
  return {
    go: () => child.stdin!.write('go\n'),
    finished: exited.then((code) => ({ code, applied: code === 0 ? (JSON.parse(lines.at(-1)!) as string[]) : [], errors })),
  };
}

let database: TestDatabase;
beforeEach(async () => {
  database = await createTestDatabase();
});
afterEach(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await database.drop();
});

const accountColumns = async () => (await database.db.introspection.getTables()).find((table) => table.name === 'accounts')!.columns.map((column) => column.name);
const appliedMigrations = async () => (await sql<{ name: string }>`select name from kysely_migration order by name`.execute(database.db)).rows.map((row) => row.name);

describe('migrations with several processes', () => {
  it('two processes starting together on a pending migration both start; it runs once', async () => {
    const processes = await Promise.all([migratingProcess(database.url, 'slow'), migratingProcess(database.url, 'slow')]);
    for (const process of processes) process.go();
    const results = await Promise.all(processes.map((process) => process.finished));

    expect(results.map((result) => [result.code, result.errors])).toEqual([[0, ''], [0, '']]);
    expect(results.flatMap((result) => result.applied)).toEqual(['2099_01_01_0000_test_slow']);
    expect(await accountColumns()).toEqual(expect.arrayContaining(['test_region', 'test_segment']));
  }, processTestTimeout);

  it('a crash inside a migration leaves the database at the previous version, ready to migrate again', async () => {
    const before = await appliedMigrations();
    const crashing = await migratingProcess(database.url, 'crash');
    crashing.go();
    expect((await crashing.finished).code).not.toBe(0); // killed

    expect(await accountColumns()).not.toContain('test_region');
    expect(await appliedMigrations()).toEqual(before);
    expect(await migrateToLatest(database.db)).toEqual([]);
    const slow = await migratingProcess(database.url, 'slow');
    slow.go();
    expect(await slow.finished).toMatchObject({ code: 0, applied: ['2099_01_01_0000_test_slow'] });
  }, processTestTimeout);
});
