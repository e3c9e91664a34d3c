import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isPostgres } from '../../src/db/dialect.js';
import { runDigestTick } from '../../src/digest/digest.scheduler.js';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type TestApp, createTestApp } from '../support/test-app.js';
import { sqliteWriteLockHolder } from '../support/sqlite-write-lock.js';
import { coveredAccount, deliveryContext, startSmtpServer } from './digest-fixtures.js';

// A digest the SMTP server accepted is never sent again, even when the database cannot record it
// at once. Monday 23 November 2026 past 07:00 UTC: the digest of managers in UTC is due.

let t: TestApp;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

beforeAll(async () => {
  t = await createTestApp();
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp.close();
  await t.close();
});
beforeEach(() => {
  smtp.received.length = 0;
});

async function team(name: string) {
  const manager = await t.make.user({ role: 'manager', name: `${name} Manager`, email: `${name.toLowerCase()}@example.com` });
  const rep = await t.make.user({ name: `${name} Rep`, manager });
  await t.make.account(rep, { name: `${name} Unknowns` });
  await coveredAccount(t, rep, `${name} Covered`);
  return manager;
}

const deliveryOf = (manager: CurrentUser) => t.db.selectFrom('digest_deliveries').selectAll().where('manager_id', '=', manager.id).executeTakeFirstOrThrow();
const messagesTo = (manager: CurrentUser) => smtp.received.filter((mail) => mail.to && !Array.isArray(mail.to) && mail.to.text === manager.email);
const tickAt = async (at: string) => {
  t.clock.set(at);
  return runDigestTick(deliveryContext(t, smtp.mailer()));
};

/**
 * The worst moment: the SMTP server has the mail and is about to say so, and the database stops
 * taking writes for a while. On SQLite another process holds the write lock for six seconds (past
 * the five-second busy timeout); on PostgreSQL another session holds the delivery row and our
 * connections are killed while "sent" waits for it.
 */
function databaseStallsAfterAcceptance(): () => Promise<void> {
  let stalled: Promise<void> = Promise.resolve();
  if (!isPostgres(t.db)) {
    const holder = sqliteWriteLockHolder(t.url.slice('sqlite:'.length));
    smtp.beforeAcceptingNext(async () => {
      await holder.lock(6000);
      stalled = holder.released();
    });
    return async () => {
      await stalled;
      await holder.stop();
    };
  }
  smtp.beforeAcceptingNext(async () => {
    const holder = new pg.Client({ connectionString: t.url, application_name: 'buychain-test-holder' });
    const monitor = new pg.Client({ connectionString: t.url, application_name: 'buychain-test-monitor' });
    await Promise.all([holder.connect(), monitor.connect()]);
    await holder.query('begin');
    await holder.query(`select id from digest_deliveries where status = 'sending' for update`);
    stalled = (async () => {
      const appBackends = `from pg_stat_activity where application_name = 'buychain' and datname = current_database()`;
      while (Number((await monitor.query(`select count(*) ${appBackends} and wait_event_type = 'Lock'`)).rows[0].count) === 0) await sleep(20);
      await monitor.query(`select pg_terminate_backend(pid) ${appBackends}`);
      await holder.query('rollback');
      await Promise.all([holder.end(), monitor.end()]);
    })();
  });
  return () => stalled;
}

describe('a digest the SMTP server accepted', () => {
  it('is recorded as sent and never sent again when the database stalls just after acceptance', async () => {
    const manager = await team('Cedar');
    const stallOver = databaseStallsAfterAcceptance();

    const [first] = (await tickAt('2026-11-23T14:00:00Z')).filter((result) => result.manager_id === manager.id);
    await stallOver();
    expect(first?.outcome.status).toBe('sent');
    expect(await deliveryOf(manager)).toMatchObject({ status: 'sent', attempts: 1, last_error: null });

    for (const later of ['2026-11-23T14:05:00Z', '2026-11-23T14:20:00Z', '2026-11-23T15:05:00Z', '2026-11-24T09:00:00Z']) await tickAt(later);
    expect(messagesTo(manager)).toHaveLength(1);
  }, 60_000);
});

describe('a refused digest', () => {
  it('is retried 5, 15 and 45 minutes after each failure, at the minute the scheduler ticks', async () => {
    const manager = await team('Dogwood');
    smtp.refuseNext(3);
    const outcomeAt = async (at: string) => (await tickAt(at)).find((result) => result.manager_id === manager.id)?.outcome;

    expect(await outcomeAt('2026-11-23T14:00:30Z')).toMatchObject({ status: 'failed', next_attempt_at: '2026-11-23T14:05:00.000Z' });
    expect(await outcomeAt('2026-11-23T14:04:00Z')).toEqual({ status: 'skipped', reason: 'waiting_to_retry' });
    expect(await outcomeAt('2026-11-23T14:05:00Z')).toMatchObject({ status: 'failed', next_attempt_at: '2026-11-23T14:20:00.000Z' });
    expect(await outcomeAt('2026-11-23T14:20:00Z')).toMatchObject({ status: 'failed', next_attempt_at: '2026-11-23T15:05:00.000Z' });
    expect(await outcomeAt('2026-11-23T15:05:00Z')).toMatchObject({ status: 'sent' });
    expect(messagesTo(manager)).toHaveLength(1);
  });
});
