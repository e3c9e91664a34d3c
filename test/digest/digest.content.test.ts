import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCommitment } from '../../src/commitments/commitments.service.js';
import { createComplaint, updateComplaint } from '../../src/complaints/complaints.service.js';
import { renderDigestEmail } from '../../src/digest/digest.email.js';
import { type Digest, buildDigest, findDigestRecipient } from '../../src/digest/digest.service.js';
import { recordDeparture } from '../../src/playbook/playbook.service.js';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type TestApp, createTestApp } from '../support/test-app.js';
import { baseUrl, coveredAccount } from './digest-fixtures.js';

// Monday 23 November 2026, 14:00 UTC: week 2026-W48. Last week's snapshot (W47) is written by
// hand, as last Monday's digest would have.

let t: TestApp;
let dana: CurrentUser;
let digest: Digest;
const ids: Record<string, number> = {};

beforeAll(async () => {
  t = await createTestApp();
  dana = await t.make.user({ role: 'manager', name: 'Dana Manager' });
  const riley = await t.make.user({ name: 'Riley Rep', manager: dana });
  const sam = await t.make.user({ name: 'Sam Rep', manager: dana });
  await t.make.user({ name: 'Quinn New', manager: dana });
  const southManager = await t.make.user({ role: 'manager', name: 'South Manager' });
  const outsider = await t.make.user({ name: 'South Rep', manager: southManager });

  // Critical: nothing known at all, opened months ago.
  ids.empty = (await t.make.account(sam, { name: 'Empty Co' })).id;
  await t.db.updateTable('accounts').set({ created_at: '2026-09-01T09:00:00.000Z' }).where('id', '=', ids.empty).execute();
  // Opened today, nothing mapped yet: getting started, not at risk.
  ids.fresh = (await t.make.account(sam, { name: 'Fresh Start' })).id;
  // At risk (75): the decision-maker is leaving this Friday with no successor named, a promise is late, a complaint's follow-up is late.
  const harbor = await coveredAccount(t, riley, 'Harbor Dental');
  ids.harbor = harbor.account.id;
  await t.make.contact(riley, harbor.account.id, { name: 'Priya Shah', roles: ['champion'], birthday: '1980-11-25' });
  await recordDeparture(t.db, t.clock, riley, harbor.decisionMaker.id, { left_on: '2026-11-27', notice: 'told_in_advance' });
  await t.db.updateTable('commitments').set({ done_at: '2026-11-23T10:00:00.000Z' }).where('departed_contact_id', '=', harbor.decisionMaker.id).where('playbook_step', '=', 'ask_introduction').execute();
  await createCommitment(t.db, t.clock, riley, harbor.account.id, { description: 'Send the service contract quote', due_on: '2026-11-18', contact_id: harbor.user.id });
  const complaint = await createComplaint(t.db, t.clock, riley, harbor.account.id, { category: 'delivery', issue: 'Toner delivered to the wrong site', raised_on: '2026-11-02' });
  await updateComplaint(t.db, t.clock, riley, complaint.id, { acknowledged_on: '2026-11-02', resolution: 'Re-delivered', resolved_on: '2026-11-04', follow_up_due_on: '2026-11-20' });
  // At risk (55): a full chain nobody has talked to yet.
  const coastal = await t.make.account(riley, { name: 'Coastal Labs' });
  ids.coastal = coastal.id;
  const coastalBoss = await t.make.contact(riley, coastal.id, { name: 'Coastal Boss', roles: ['boss'] });
  await t.make.contact(riley, coastal.id, { name: 'Lena Park', roles: ['decision_maker'], reports_to_contact_id: coastalBoss.id });
  await t.make.contact(riley, coastal.id, { name: 'Coastal User', roles: ['user', 'influencer'] });
  // Watch: the decision-maker was last met outside the office on 1 October (23 days overdue on 30).
  ids.oldMill = (await coveredAccount(t, sam, 'Old Mill', { lastCoffee: '2026-10-01T12:00:00Z' })).account.id;
  // Ok now, critical last week: recovered.
  ids.bright = (await coveredAccount(t, sam, 'Bright Smiles')).account.id;
  // Another team's critical account never shows.
  await t.make.account(outsider, { name: 'Outsider Inc' });

  await t.db
    .insertInto('risk_snapshots')
    .values([
      { account_id: ids.harbor!, iso_week: '2026-W47', score: 0, level: 'ok', flags: '', taken_at: '2026-11-16T07:00:00.000Z' },
      { account_id: ids.coastal!, iso_week: '2026-W47', score: 55, level: 'at_risk', flags: 'single_threaded,no_users_engaged,account_gone_quiet', taken_at: '2026-11-16T07:00:00.000Z' },
      { account_id: ids.bright!, iso_week: '2026-W47', score: 80, level: 'critical', flags: 'no_decision_maker,single_threaded,account_gone_quiet', taken_at: '2026-11-16T07:00:00.000Z' },
    ])
    .execute();

  const manager = await findDigestRecipient(t.db, dana, dana.id);
  digest = (await buildDigest(t.db, manager, { now: t.clock.now(), baseUrl })).digest;
});
afterAll(() => t.close());

describe("a manager's digest for a fixed week", () => {
  it('is for the ISO week in the manager’s zone, named in the subject', () => {
    expect(digest.week).toEqual({ id: '2026-W48', starts_on: '2026-11-23', ends_on: '2026-11-29', label: '23–29 Nov 2026' });
    expect(digest.subject).toBe('Team risk digest 2026-W48 (23–29 Nov 2026): 3 accounts at risk');
    expect(digest.accounts_at_risk.rows.map((row) => row.account_name)).not.toContain('Fresh Start');
    expect(digest.is_empty).toBe(false);
  });

  it('lists the team’s accounts at risk or critical, riskiest first, with owner, level, flags in words and a link', () => {
    expect(digest.accounts_at_risk.rows.map((row) => [row.account_name, row.owner_name, row.level, row.score])).toEqual([
      ['Empty Co', 'Sam Rep', 'critical', 100],
      ['Harbor Dental', 'Riley Rep', 'at_risk', 75],
      ['Coastal Labs', 'Riley Rep', 'at_risk', 55],
    ]);
    const harbor = digest.accounts_at_risk.rows[1]!;
    expect(harbor.url).toBe(`${baseUrl}/accounts/${ids.harbor}`);
    // By severity, then weight.
    expect(harbor.flags.map((flag) => flag.message)).toEqual([
      'Harbor Dental Decider (decision-maker) is leaving on 27 Nov 2026.',
      'Harbor Dental Decider (decision-maker) is leaving on 27 Nov 2026 (in 4 days); no successor named yet; 1 of 3 recovery steps done.',
      'Follow-up on the complaint “Toner delivered to the wrong site” was due 20 Nov 2026 — 3 days late.',
      '“Send the service contract quote” for Harbor Dental User was due 18 Nov 2026 — 5 days late.',
    ]);
    expect(harbor.next_action).toBe('Meet the successor before the handover, ask the leaver for an introduction and where they are going.');
  });

  it('says what changed since last week’s snapshot: riskier and recovered', () => {
    expect(digest.changes?.compared_with).toBe('2026-W47');
    expect(digest.changes?.riskier).toEqual([
      expect.objectContaining({ account_name: 'Harbor Dental', previous_level: 'ok', level: 'at_risk', new_flags: ['Key contact leaving', 'Recovery in progress', 'Complaint follow-up overdue', 'Promise overdue'] }),
    ]);
    expect(digest.changes?.recovered).toEqual([
      expect.objectContaining({ account_name: 'Bright Smiles', previous_level: 'critical', level: 'ok', cleared_flags: ['No decision-maker', 'Single-threaded', 'Gone quiet'] }),
    ]);
  });

  it('lists overdue decision-maker meetings per rep with days overdue', () => {
    expect(digest.overdue_meetings).toEqual([
      { owner_id: expect.any(Number), owner_name: 'Sam Rep', meetings: [expect.objectContaining({ account_name: 'Old Mill', contact_name: 'Old Mill Decider', days_overdue: 23 })] },
    ]);
  });

  it('names key contacts leaving this week and how far their playbook has got', () => {
    expect(digest.departures).toEqual([
      expect.objectContaining({
        contact_name: 'Harbor Dental Decider',
        account_name: 'Harbor Dental',
        status: 'leaving',
        on: '2026-11-27',
        roles: ['decision_maker'],
        successor: null,
        playbook: { done: 1, total: 3 },
        next_action: 'Ask Harbor Dental Decider who will take over, and for an introduction.',
      }),
    ]);
  });

  it('lists late promises, complaints waiting for a follow-up, and the coming week’s birthdays', () => {
    expect(digest.late_commitments.rows.map((row) => [row.description, row.account_name, row.days_late])).toEqual([['Send the service contract quote', 'Harbor Dental', 5]]);
    expect(digest.complaint_follow_ups.rows.map((row) => [row.description, row.days_late])).toEqual([['Toner delivered to the wrong site', 3]]);
    expect(digest.key_dates).toEqual([expect.objectContaining({ kind: 'birthday', on: '2026-11-25', contact_name: 'Priya Shah', account_name: 'Harbor Dental', years: 46 })]);
  });

  it('sums up every rep in one line, those without accounts too', () => {
    expect(digest.reps.map(({ name, accounts, at_risk, overdue_meetings }) => ({ name, accounts, at_risk, overdue_meetings }))).toEqual([
      { name: 'Quinn New', accounts: 0, at_risk: 0, overdue_meetings: 0 },
      { name: 'Riley Rep', accounts: 2, at_risk: 2, overdue_meetings: 0 },
      { name: 'Sam Rep', accounts: 4, at_risk: 1, overdue_meetings: 1 },
    ]);
    expect(digest.getting_started).toEqual([{ owner_name: 'Sam Rep', accounts: 1 }]);
  });

  it('renders the same content as HTML and plain text', async () => {
    const email = await renderDigestEmail(digest, { name: null, logo: null });
    expect(email.to).toBe(dana.email);
    for (const part of [email.html, email.text]) {
      expect(part).toContain('Harbor Dental Decider (decision-maker) is leaving on 27 Nov 2026.');
      expect(part).toContain('Recovery playbook: 1 of 3 steps done.');
      expect(part).toContain('Ask Harbor Dental Decider who will take over, and for an introduction.');
      expect(part).toContain('Still being mapped (new accounts, not counted as at risk): Sam Rep 1.');
      expect(part).toContain('23 days overdue');
      expect(part).not.toContain('Outsider Inc');
    }
    expect(email.html).toContain('Since last week (2026-W47)');
    expect(email.text).toContain('SINCE LAST WEEK (2026-W47)');
    expect(email.text).toContain('* Sam Rep: 4 accounts, 1 at risk, 1 overdue meeting\n');
    expect(email.text.indexOf('* Empty Co')).toBeLessThan(email.text.indexOf('* Harbor Dental'));
    expect(email.text.indexOf('* Harbor Dental')).toBeLessThan(email.text.indexOf('* Coastal Labs'));
    // Nothing for a mail client to fetch: no stylesheets, no images, every link absolute.
    expect(email.html).not.toMatch(/<link|<img|<script/);
    expect([...email.html.matchAll(/href="([^"]*)"/g)].every(([, href]) => href!.startsWith(`${baseUrl}/`))).toBe(true);
  });
});

describe('cost', () => {
  it('takes the same number of queries for a team of one account as for thirty', async () => {
    let queries = 0;
    const counted = t.db.withPlugin({ transformQuery: ({ node }) => node, transformResult: async ({ result }) => (queries++, result) });
    const queriesFor = async (accounts: number) => {
      const manager = await t.make.user({ role: 'manager' });
      const rep = await t.make.user({ manager });
      for (let n = 0; n < accounts; n++) await coveredAccount(t, rep, `Account ${accounts}-${n}`);
      queries = 0;
      await buildDigest(counted, await findDigestRecipient(t.db, manager, manager.id), { now: t.clock.now(), baseUrl });
      return queries;
    };
    const forOne = await queriesFor(1);
    expect(forOne).toBe(15); // the team's risk is assessed fresh here, and remembered (one statement)
    expect(await queriesFor(30)).toBe(forOne);
  });
});

describe('an empty week', () => {
  it('says so in one friendly line instead of empty tables', async () => {
    const calm = await t.make.user({ role: 'manager', name: 'Calm Manager' });
    const rep = await t.make.user({ name: 'Calm Rep', manager: calm });
    await coveredAccount(t, rep, 'Steady Corp');
    const { digest: quiet } = await buildDigest(t.db, await findDigestRecipient(t.db, calm, calm.id), { now: t.clock.now(), baseUrl });
    expect(quiet.is_empty).toBe(true);
    expect(quiet.subject).toBe('Team risk digest 2026-W48 (23–29 Nov 2026): no accounts at risk');
    const email = await renderDigestEmail(quiet, { name: null, logo: null });
    for (const part of [email.html, email.text]) expect(part).toContain('Nothing needs your attention this week');
    expect(email.html).not.toContain('Accounts at risk');
    expect(email.text).toContain('Calm Rep: 1 account, 0 at risk, 0 overdue meetings');
  });
});
