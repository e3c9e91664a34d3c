import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { factories } from '../support/factories.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

// Two imports of the same file at the same moment, each its own process with its own connection
// (PostgreSQL under `npm run test:pg`, one SQLite file under `npm test`): everything is created once.

const processTestTimeout = 120_000;
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const tsx = `${projectRoot}node_modules/.bin/tsx`;
const children: ChildProcess[] = [];

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await database.drop();
});

/** Starts the race hook; resolves `ready` once the file is staged, and `result` with what it created. */
function importer(env: Record<string, string>) {
  const child = spawn(tsx, ['test/importer/import-race.ts'], { cwd: projectRoot, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      if (line === 'ready') resolve();
    });
    void exited.then((code) => reject(new Error(`the importer exited with ${code} before it was ready: ${lines.join('\n')}`)));
  });
  return { child, ready, exited, result: () => JSON.parse(lines.at(-1)!) as { newAccounts: number; newContacts: number } };
}

it(
  'two imports of one file at once create each account and each contact once',
  async () => {
    const owner = await factories(database.db, systemClock).user({ email: 'racer@example.com' });
    const rows = Array.from({ length: 300 }, (_, index) => `Race Account ${index % 30},Person ${index},person${index}@race.test,user`);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'buychain-race-')), 'race.csv');
    writeFileSync(file, ['account,name,email,roles', ...rows].join('\n'));

    const env = { DATABASE_URL: database.url, AS: owner.email, FILE: file };
    const racers = [importer(env), importer(env)];
    await Promise.all(racers.map((racer) => racer.ready));
    for (const racer of racers) racer.child.stdin!.write('go\n');
    expect(await Promise.all(racers.map((racer) => racer.exited))).toEqual([0, 0]);

    const accounts = await database.db.selectFrom('accounts').select(['id', 'name']).where('owner_id', '=', owner.id).execute();
    expect(accounts).toHaveLength(30);
    const contacts = await database.db.selectFrom('contacts').select('email').where('account_id', 'in', accounts.map((account) => account.id)).execute();
    expect(contacts).toHaveLength(300);
    expect(new Set(contacts.map((contact) => contact.email)).size).toBe(300);
    // Between them the two created everything once; neither failed.
    const results = racers.map((racer) => racer.result());
    expect(results[0]!.newAccounts + results[1]!.newAccounts).toBe(30);
    expect(results[0]!.newContacts + results[1]!.newContacts).toBe(300);
  },
  processTestTimeout,
);
