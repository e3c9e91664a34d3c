import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upcomingKeyDates } from '../../src/contacts/key-dates.service.js';
import { handlebars, viewsFolder } from '../../src/views/setup.js';
import { type TestApp, createTestApp, signIn } from '../support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const summary = (dates: Awaited<ReturnType<typeof upcomingKeyDates>>) => dates.map((date) => `${date.on} ${date.kind} ${date.contact_name ?? date.account_name} ${date.years ?? ''}`.trim());

describe('key dates in the coming 14 days', () => {
  it('runs across a year end, in calendar order, leaving out other teams and people who left', async () => {
    t.clock.set('2026-12-25T12:00:00.000Z');
    const { rep } = await t.make.team('Yule');
    const { rep: outsider } = await t.make.team('Elsewhere');
    const account = await t.make.account(rep, { name: 'Winter Ltd' });
    await t.db.updateTable('accounts').set({ customer_since: '2021-01-05' }).where('id', '=', account.id).execute();
    await t.make.contact(rep, account.id, { name: 'Noelle', birthday: '12-25', preferred_channel: 'phone' });
    await t.make.contact(rep, account.id, { name: 'Janus', birthday: '1990-01-07' });
    await t.make.contact(rep, account.id, { name: 'Too Late', birthday: '01-08' });
    await t.make.contact(rep, account.id, { name: 'Eve', started_in_role_on: '2020-12-31' });
    await t.make.contact(rep, account.id, { name: 'Newcomer', started_in_role_on: '2026-12-28' });
    const gone = await t.make.contact(rep, account.id, { name: 'Gone', birthday: '12-26' });
    await t.db.updateTable('contacts').set({ status: 'left' }).where('id', '=', gone.id).execute();
    await t.make.contact(outsider, (await t.make.account(outsider)).id, { name: 'Stranger', birthday: '12-27' });

    const dates = await upcomingKeyDates(t.db, t.clock, rep);
    expect(summary(dates)).toEqual([
      '2026-12-25 birthday Noelle',
      '2026-12-31 started_in_role Eve 6',
      '2027-01-05 customer_since Winter Ltd 6',
      '2027-01-07 birthday Janus 37',
    ]);
    expect(dates[0]).toMatchObject({ days_away: 0, preferred_channel: 'phone' });

    const html = await handlebars.render(path.join(viewsFolder, 'partials/contacts/key-dates.hbs'), { keyDates: dates, viewer: rep });
    expect(html).toContain('Today');
    expect(html).toContain('Eve</a>: 6 years in the role');
    expect(html).toContain('Winter Ltd</a>: 6 years a customer');
    expect(html).toContain('Best: Phone');
  });

  it('keeps 29 February on the 28th in years without one, and on the 29th in leap years', async () => {
    const rep = await t.make.user();
    const account = await t.make.account(rep);
    await t.make.contact(rep, account.id, { name: 'Leapling', birthday: '02-29' });
    await t.make.contact(rep, account.id, { name: 'Leap Starter', started_in_role_on: '2024-02-29' });
    t.clock.set('2027-02-20T12:00:00.000Z');
    expect(summary(await upcomingKeyDates(t.db, t.clock, rep))).toEqual(['2027-02-28 birthday Leapling', '2027-02-28 started_in_role Leap Starter 3']);
    t.clock.set('2028-02-20T12:00:00.000Z');
    expect(summary(await upcomingKeyDates(t.db, t.clock, rep))).toEqual(['2028-02-29 birthday Leapling', '2028-02-29 started_in_role Leap Starter 4']);
  });

  it("counts days in the viewer's time zone", async () => {
    t.clock.set('2026-11-23T14:00:00.000Z');
    const london = await t.make.user({ time_zone: 'Europe/London' });
    const auckland = await t.make.user({ time_zone: 'Pacific/Auckland', manager: undefined });
    for (const rep of [london, auckland]) await t.make.contact(rep, (await t.make.account(rep)).id, { name: `Born 23 Nov (${rep.time_zone})`, birthday: '11-23' });
    expect((await upcomingKeyDates(t.db, t.clock, london)).map((date) => date.on)).toEqual(['2026-11-23']);
    // Already the 24th in Auckland: next year's birthday is months away.
    expect(await upcomingKeyDates(t.db, t.clock, auckland)).toEqual([]);
  });
});

describe('knowing the customer on the pages', () => {
  it('shows the report card on the contact page: told in advance, followed to a new company', async () => {
    t.clock.set('2026-11-23T14:00:00.000Z');
    const rep = await t.make.user();
    const account = await t.make.account(rep);
    const leaver = await t.make.contact(rep, account.id, { name: 'Paula Leaver' });
    const surprised = await t.make.contact(rep, account.id, { name: 'Sudden Sam' });
    await t.db.updateTable('contacts').set({ status: 'left', left_on: '2026-11-01', departure_notice: 'told_in_advance', departure_destination: 'Newco' }).where('id', '=', leaver.id).execute();
    await t.db.updateTable('contacts').set({ status: 'left', left_on: '2026-11-02', departure_notice: 'surprise' }).where('id', '=', surprised.id).execute();
    const newco = await t.make.account(rep, { name: 'Newco', status: 'prospect' });
    await t.db.updateTable('accounts').set({ origin_contact_id: leaver.id }).where('id', '=', newco.id).execute();
    const { agent } = await signIn(t.app, rep);

    const followed = await agent.get(`/contacts/${leaver.id}`);
    expect(followed.text).toContain('Told us in advance');
    expect(followed.text).toContain(`Followed to <a href="/accounts/${newco.id}">Newco</a>`);
    const notFollowed = await agent.get(`/contacts/${surprised.id}`);
    expect(notFollowed.text).toContain('Left without warning');
    expect(notFollowed.text).toContain('Not followed yet');
  });

  it('shows preferred channel and time beside each person in the touchpoint form', async () => {
    const rep = await t.make.user();
    const account = await t.make.account(rep);
    await t.make.contact(rep, account.id, { name: 'Maria Lopez', preferred_channel: 'text', preferred_time: 'after 4pm' });
    const { agent } = await signIn(t.app, rep);
    expect((await agent.get(`/accounts/${account.id}/touchpoints/new`)).text).toMatch(/Text, after 4pm/);
  });
});
