import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { factories, testPassword } from '../support/factories.js';
import { freePort } from '../support/free-port.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { csrfTokenIn } from '../support/test-app.js';

// Real separate processes on one database: PostgreSQL under `npm run test:pg`, a SQLite file under `npm test`.
// Starting Node processes on a busy 2-core machine can take several seconds: a generous time limit.
const processTestTimeout = 90_000;

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const tsx = `${projectRoot}node_modules/.bin/tsx`;
const children: ChildProcess[] = [];

/** Starts `tsx <script>` and resolves once it prints a line matching `readyWhen`; later lines are collected. */
function startProcess(script: string, env: Record<string, string>, readyWhen: RegExp) {
  const child = spawn(tsx, [script], { cwd: projectRoot, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      if (readyWhen.test(line)) resolve();
    });
    void exited.then((code) => reject(new Error(`${script} exited with ${code} before it was ready:\n${lines.join('\n')}`)));
  });
  return { child, lines, ready, exited };
}

async function startServer(databaseUrl: string) {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = startProcess('src/server.ts', { DATABASE_URL: databaseUrl, PORT: String(port), BASE_URL: baseUrl, LOG_LEVEL: 'info', SESSION_SECRET: 'one secret shared by every process' }, /is listening/);
  await server.ready;
  return baseUrl;
}

/** A browser's cookie jar, reduced to the one cookie the app sets. */
function browser() {
  let cookie = '';
  return async (url: string, init: RequestInit = {}) => {
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as object), cookie } });
    const session = response.headers.getSetCookie().find((value) => value.startsWith('buychain.sid='));
    if (session) cookie = session.split(';')[0]!;
    return response;
  };
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : null)));
  await database.drop();
});

describe('two app processes on one database', () => {
  it('a user signed in on one is signed in on the other, forms included', async () => {
    const user = await factories(database.db, systemClock).user({ email: 'bounce@example.com' });
    const [first, second] = await Promise.all([startServer(database.url), startServer(database.url)]);
    const visit = browser();

    const loginPage = await visit(`${first}/login`);
    const login = await visit(`${first}/login`, form({ _csrf: csrfTokenIn(await loginPage.text()), email: user.email, password: testPassword }));
    expect(login.status).toBe(302);

    const onSecond = await visit(`${second}/accounts`);
    expect(onSecond.status).toBe(200);
    expect(await onSecond.text()).toContain('My accounts');

    // A form opened on the first process and posted to the second: the CSRF token lives in the shared session.
    const newAccount = await visit(`${first}/accounts/new`);
    const created = await visit(`${second}/accounts`, form({ _csrf: csrfTokenIn(await newAccount.text()), name: 'Two Process Corp' }));
    expect(created.status).toBe(302);
    const account = await database.db.selectFrom('accounts').select('owner_id').where('name', '=', 'Two Process Corp').executeTakeFirst();
    expect(account?.owner_id).toBe(user.id);
  }, processTestTimeout);

  it('claims each period of a scheduled job exactly once, however many processes race for it', async () => {
    const periods = 40;
    const claimants = [1, 2, 3].map(() =>
      startProcess('test/multi-process/claim-job-runs.ts', { DATABASE_URL: database.url, PERIODS: String(periods) }, /^ready$/),
    );
    await Promise.all(claimants.map((claimant) => claimant.ready));
    for (const claimant of claimants) claimant.child.stdin!.write('go\n');
    expect(await Promise.all(claimants.map((claimant) => claimant.exited))).toEqual([0, 0, 0]);

    const won = claimants.map((claimant) => JSON.parse(claimant.lines.at(-1)!) as string[]);
    const everyClaim = won.flat().sort((a, b) => Number(a) - Number(b));
    expect(everyClaim).toEqual(Array.from({ length: periods }, (_, index) => String(index + 1)));
    const rows = await database.db.selectFrom('job_runs').select(['period', 'claimed_by']).where('job', '=', 'race').execute();
    expect(rows).toHaveLength(periods);
  }, processTestTimeout);
});
