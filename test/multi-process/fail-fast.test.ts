import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { connectDatabase } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { factories } from '../support/factories.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

// `npm start` on a machine where it cannot work stops at once, non-zero, saying why in a sentence.
// Starting a Node process on a busy machine can take several seconds: a generous time limit.
const processTestTimeout = 90_000;
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const tsx = `${projectRoot}node_modules/.bin/tsx`;
const children: ChildProcess[] = [];

/** Runs a script until it exits or says it is listening; root runs it as `nobody`, for whom file permissions hold. */
function runScript(script: string[], env: Record<string, string>, { asUnprivilegedUser = false } = {}) {
  const [command, args] = asUnprivilegedUser && process.getuid?.() === 0 ? ['runuser', ['-u', 'nobody', '--', tsx, ...script]] : [tsx, script];
  const child = spawn(command, args, { cwd: projectRoot, env: { ...process.env, LOG_LEVEL: 'info', BASE_URL: 'http://127.0.0.1', SESSION_SECRET: 'a secret for the test process', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const collect = (chunk: Buffer) => {
      output += chunk;
      if (output.includes('is listening')) resolve({ code: null, output });
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.once('exit', (code) => resolve({ code, output }));
  });
}
const startServer = (env: Record<string, string>, options?: { asUnprivilegedUser?: boolean }) => runScript(['src/server.ts'], env, options);

/** A migrated SQLite file in a folder nobody may write. */
async function readOnlyDatabaseFile(): Promise<{ folder: string; file: string }> {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'buychain-read-only-'));
  folders.push(folder);
  const file = path.join(folder, 'buychain.sqlite');
  const db = connectDatabase(`sqlite:${file}`);
  await migrateToLatest(db);
  await db.destroy();
  chmodSync(file, 0o444);
  chmodSync(folder, 0o555);
  return { folder, file };
}

let database: TestDatabase;
const folders: string[] = [];
beforeAll(async () => {
  database = await createTestDatabase();
  await factories(database.db, systemClock).user({ role: 'admin' }); // not empty: no demo company to load
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await database.drop();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

describe('starting the server where it cannot work', () => {
  it('exits non-zero when its port is taken, saying so', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const { code, output } = await startServer({ DATABASE_URL: database.url, PORT: String(port) });
      expect(output).not.toContain('is listening');
      expect(code).toBe(1);
      expect(output).toContain(`Port ${port} is already in use`);
    } finally {
      taken.close();
    }
  }, processTestTimeout);

  it('refuses a read-only database file in one sentence, without a stack trace', async () => {
    const { folder, file } = await readOnlyDatabaseFile();

    const { code, output } = await startServer({ DATABASE_URL: `sqlite:${file}`, PORT: '0' }, { asUnprivilegedUser: true });
    expect(code).toBe(1);
    expect(output).toContain(`The database file ${file} is read-only`);
    expect(output).not.toMatch(/\n\s+at /);
    chmodSync(folder, 0o755);
  }, processTestTimeout);
});

describe('the command line where it cannot work', () => {
  it('refuses a read-only database file in one sentence, without a stack trace', async () => {
    const { folder, file } = await readOnlyDatabaseFile();

    const { code, output } = await runScript(['src/cli.ts', 'migrate'], { DATABASE_URL: `sqlite:${file}` }, { asUnprivilegedUser: true });
    expect(code).toBe(1);
    expect(output).toContain(`The database file ${file} is read-only`);
    expect(output).not.toMatch(/\n\s+at /);
    chmodSync(folder, 0o755);
  }, processTestTimeout);

  it('says what is wrong with a DATABASE_URL it cannot use, without a stack trace', async () => {
    const { code, output } = await runScript(['src/cli.ts', 'migrate'], { DATABASE_URL: '/var/lib/buychain.sqlite' });
    expect(code).toBe(1);
    expect(output).toContain('DATABASE_URL must start with sqlite: or postgres://');
    expect(output).not.toMatch(/\n\s+at /);
  }, processTestTimeout);
});
