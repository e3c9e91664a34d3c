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

/** A browser's cookie jar: the session cookie, and the sign-in form's own before there is a session. */
function browser() {
  const jar = new Map<string, string>();
  return async (url: string, init: RequestInit = {}) => {
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as object), cookie } });
    for (const set of response.headers.getSetCookie()) {
      const [name, value] = set.split(';')[0]!.split('=') as [string, string];
      jar.set(name, value);
    }
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

  it('counts failed sign-ins across both processes; a new X-Forwarded-For each time does not help', async () => {
    const user = await factories(database.db, systemClock).user({ email: 'target@example.com' });
    const [first, second] = await Promise.all([startServer(database.url), startServer(database.url)]);
    const attempt = async (base: string, password: string, forwardedFor: string) => {
      const visit = browser();
      const page = await visit(`${base}/login`);
      const post = form({ _csrf: csrfTokenIn(await page.text()), email: user.email, password });
      return visit(`${base}/login`, { ...post, headers: { ...post.headers, 'x-forwarded-for': forwardedFor } });
    };
    const statuses: number[] = [];
    for (let guess = 1; guess <= 5; guess++) statuses.push((await attempt(guess % 2 ? first : second, `guess ${guess}`, `203.0.113.${guess}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    // The fifth failure starts a 15-second wait, on both processes and from any address, right password included.
    for (const [index, base] of [first, second].entries()) {
      const refused = await attempt(base, testPassword, `198.51.100.${index}`);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(15);
    }
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
