import { afterEach, describe, expect, it } from 'vitest';
import { runDigestTick } from '../../src/digest/digest.scheduler.js';
import type { CurrentUser } from '../../src/users/users.service.js';
import { demoPassword, seedDemo } from '../../src/demo/demo-seed.js';
import { type TestApp, createTestApp, signIn } from '../support/test-app.js';
import { deliveryContext } from './digest-fixtures.js';

// The scheduler's tick, run every hour of a fixed clock: each manager gets their digest at the first
// tick at or after their own send moment (Monday 07:00 in their time zone by default), once.

let t: TestApp;
afterEach(() => t.close());

async function managerIn(timeZone: string, name: string) {
  const manager = await t.make.user({ role: 'manager', name, time_zone: timeZone });
  const rep = await t.make.user({ name: `${name}'s rep`, manager, time_zone: timeZone });
  await t.make.account(rep, { name: `${name}'s account` });
  return manager;
}

/** Last week's digest already went out, as it would have. */
const alreadySent = (manager: CurrentUser, week: string) =>
  t.db
    .insertInto('digest_deliveries')
    .values({ manager_id: manager.id, iso_week: week, status: 'sent', last_error: null, next_attempt_at: null, subject: 'earlier', message_id: '<earlier@test>', sent_at: 'earlier', attempted_at: 'earlier', created_at: 'earlier' })
    .execute();

async function tickEveryHour(from: string, to: string) {
  for (let at = Date.parse(from); at <= Date.parse(to); at += 3600_000) {
    t.clock.set(new Date(at));
    await runDigestTick(deliveryContext(t, t.mailer));
  }
}

const sentTo = (manager: CurrentUser) =>
  t.db.selectFrom('digest_deliveries').select(['iso_week', 'sent_at']).where('manager_id', '=', manager.id).where('sent_at', '!=', 'earlier').orderBy('iso_week').execute();

describe('each manager gets theirs at their own Monday 07:00', () => {
  it('Sydney on Sunday 20:00 UTC and Los Angeles on Monday 15:00 UTC', async () => {
    t = await createTestApp();
    const sydney = await managerIn('Australia/Sydney', 'Sydney');
    const losAngeles = await managerIn('America/Los_Angeles', 'Los Angeles');
    await alreadySent(sydney, '2026-W47');
    await alreadySent(losAngeles, '2026-W47');

    await tickEveryHour('2026-11-22T00:00:00Z', '2026-11-24T12:00:00Z');
    expect(await sentTo(sydney)).toEqual([{ iso_week: '2026-W48', sent_at: '2026-11-22T20:00:00.000Z' }]);
    expect(await sentTo(losAngeles)).toEqual([{ iso_week: '2026-W48', sent_at: '2026-11-23T15:00:00.000Z' }]);
  });

  it('Sydney across the start of daylight saving (4 October 2026): 21:00 UTC before, 20:00 UTC after', async () => {
    t = await createTestApp();
    const sydney = await managerIn('Australia/Sydney', 'Sydney');
    await alreadySent(sydney, '2026-W39');

    await tickEveryHour('2026-09-27T00:00:00Z', '2026-10-05T00:00:00Z');
    expect(await sentTo(sydney)).toEqual([
      { iso_week: '2026-W40', sent_at: '2026-09-27T21:00:00.000Z' },
      { iso_week: '2026-W41', sent_at: '2026-10-04T20:00:00.000Z' },
    ]);
  });

  it('Los Angeles across the end of daylight saving (1 November 2026): 14:00 UTC before, 15:00 UTC after', async () => {
    t = await createTestApp();
    const losAngeles = await managerIn('America/Los_Angeles', 'Los Angeles');
    await alreadySent(losAngeles, '2026-W43');

    await tickEveryHour('2026-10-25T12:00:00Z', '2026-11-03T00:00:00Z');
    expect(await sentTo(losAngeles)).toEqual([
      { iso_week: '2026-W44', sent_at: '2026-10-26T14:00:00.000Z' },
      { iso_week: '2026-W45', sent_at: '2026-11-02T15:00:00.000Z' },
    ]);
  });
});

describe('settings and catching up', () => {
  it('honours a chosen day and hour, skips a manager who opted out, and catches up after downtime', async () => {
    t = await createTestApp();
    const berlin = await managerIn('Europe/Berlin', 'Berlin');
    const optedOut = await managerIn('Europe/Berlin', 'Quiet');
    const late = await managerIn('UTC', 'Late');
    await t.db.updateTable('users').set({ digest_day: 5, digest_hour: 16 }).where('id', '=', berlin.id).execute();
    await t.db.updateTable('users').set({ digest_opt_out: 1 }).where('id', '=', optedOut.id).execute();
    for (const manager of [berlin, optedOut, late]) await alreadySent(manager, '2026-W47');

    // The server is down all Monday morning and comes back at 11:20 UTC: the first tick catches up.
    await tickEveryHour('2026-11-23T11:20:00Z', '2026-11-28T00:20:00Z');
    expect(await sentTo(late)).toEqual([{ iso_week: '2026-W48', sent_at: '2026-11-23T11:20:00.000Z' }]);
    // Friday 16:00 in Berlin is 15:00 UTC; the hourly ticks fall at :20.
    expect(await sentTo(berlin)).toEqual([{ iso_week: '2026-W48', sent_at: '2026-11-27T15:20:00.000Z' }]);
    expect(await sentTo(optedOut)).toEqual([]);
  });
});

describe('the demo company', () => {
  it('sends no unasked digest on first start: the demo manager opts in after seeing the preview', async () => {
    t = await createTestApp();
    await seedDemo(t.db, t.clock);
    // The fixed clock is Monday 14:00 UTC, past Dana's 07:00 in New York: a tick at start would send.
    expect(await runDigestTick(deliveryContext(t, t.mailer))).toEqual([]);

    const { agent } = await signIn(t.app, { email: 'dana@demo.buychain.test' }, demoPassword);
    const preview = await agent.get('/digest');
    expect(preview.text).toContain('Not sent automatically');
    expect(preview.text).toContain('href="/settings#digest"');
    expect(preview.text).toContain('Send now');
  });
});
