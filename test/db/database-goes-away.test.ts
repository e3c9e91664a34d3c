import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { sql } from 'kysely';
import type supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPostgres } from '../../src/db/dialect.js';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type TestApp, createTestApp, csrfTokenIn, signIn } from '../support/test-app.js';
import { type ApiClient, apiClient } from '../support/scenarios.js';
import { sqliteWriteLockHolder } from '../support/sqlite-write-lock.js';

// The database stops answering while requests are in flight: on PostgreSQL (`npm run test:pg`) the
// server kills our connections (pg_terminate_backend, what a restart or failover does to them); on
// SQLite another process holds the write lock past the busy timeout. Either way the requests in flight
// answer 503 "try again" (a page or the API's JSON error), nothing crashes the process (an unhandled
// 'error' event would fail this run), and the same app serves the next requests as before.

let t: TestApp;
let rep: CurrentUser;
let api: ApiClient;
let browser: Awaited<ReturnType<typeof signIn>>;
let csrfToken: string;

beforeAll(async () => {
  t = await createTestApp();
  ({ rep } = await t.make.team('Outage'));
  api = apiClient(t.app, await t.make.apiToken(rep));
  browser = await signIn(t.app, rep);
  // Read before the database goes away, like a form a person opened earlier.
  csrfToken = csrfTokenIn((await browser.agent.get('/settings')).text);
});
afterAll(() => t.close());

/** Writes to one account: touchpoints and promises through the API, and a promise through the page form. */
function writes(accountId: number, contactId: number) {
  return [
    ...[1, 2, 3].map((n) => api.post(`/accounts/${accountId}/touchpoints`, { contact_ids: [contactId], kind: 'call', location: 'phone', summary: `Call ${n}` })),
    api.post(`/accounts/${accountId}/commitments`, { description: 'Send the quote', due_on: '2026-12-01' }),
    browser.agent.post(`/accounts/${accountId}/commitments`).type('form').send({ _csrf: csrfToken, description: 'Book the demo', due_on: '2026-12-02' }),
  ];
}

function expectTryAgain(responses: supertest.Response[]) {
  for (const response of responses) {
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    if (response.type === 'application/json') expect(response.body.error).toEqual({ code: 'database_unavailable', message: expect.stringContaining('try again') });
    else expect(response.text).toContain('try again');
  }
}

async function expectServingAgain(accountId: number, contactId: number) {
  const responses = await Promise.all(writes(accountId, contactId));
  expect(responses.map((response) => response.status)).toEqual([201, 201, 201, 201, 302]);
}

describe('when the database goes away under load', () => {
  it('fails only the requests in flight, with 503 saying to try again, and then serves again', async () => {
    const account = await t.make.account(rep, { name: 'Outage Inc' });
    const contact = await t.make.contact(rep, account.id, { name: 'Olga Outage' });

    if (isPostgres(t.db)) {
      // Another session holds the account, so the app's writes are in flight, waiting for it, when their connections are killed.
      const holder = new pg.Client({ connectionString: t.url, application_name: 'buychain-test-holder' });
      // pg_stat_activity is read once per transaction: the monitor looks from outside the holder's.
      const monitor = new pg.Client({ connectionString: t.url, application_name: 'buychain-test-monitor' });
      await Promise.all([holder.connect(), monitor.connect()]);
      await holder.query('begin');
      await holder.query('select id from accounts where id = $1 for update', [account.id]);
      const inFlight = writes(account.id, contact.id).map((request) => request.then((response) => response));
      const appBackends = `from pg_stat_activity where application_name = 'buychain' and datname = current_database()`;
      const waitingForTheAccount = async () => Number((await monitor.query(`select count(*) ${appBackends} and wait_event_type = 'Lock'`)).rows[0].count);
      while ((await waitingForTheAccount()) < inFlight.length) await sleep(20);
      await monitor.query(`select pg_terminate_backend(pid) ${appBackends}`);
      expectTryAgain(await Promise.all(inFlight));
      await holder.query('rollback');
      await Promise.all([holder.end(), monitor.end()]);
    } else {
      // Waiting 5 s per request for the lock proves nothing more than waiting 0.2 s.
      await sql`pragma busy_timeout = 200`.execute(t.db);
      const holder = sqliteWriteLockHolder(t.url.slice('sqlite:'.length));
      await holder.lock();
      expectTryAgain(await Promise.all(writes(account.id, contact.id)));
      await holder.release();
      await holder.stop();
      await sql`pragma busy_timeout = 5000`.execute(t.db);
    }

    await expectServingAgain(account.id, contact.id);
    const logged = await t.db.selectFrom('touchpoints').select('summary').where('account_id', '=', account.id).execute();
    expect(logged).toHaveLength(3);
  });
});
