import { describe, expect, it } from 'vitest';
import { type AccountRiskInput, type RiskContact, assessAccount, levelFor, riskRules } from '../../src/risk/risk.rules.js';

// The rules are pure functions of the data and "now": each is checked at its boundary.

const now = new Date('2026-11-23T14:00:00Z'); // Monday, 09:00 in New York
const utc = { now, zone: 'UTC' };
const daysAgo = (days: number, hourUtc = 12) => new Date(Date.UTC(2026, 10, 23 - days, hourUtc)).toISOString();
const dateDaysAgo = (days: number) => daysAgo(days).slice(0, 10);

let nextId = 1;
function contact(overrides: Partial<RiskContact> = {}): RiskContact {
  return {
    id: nextId++,
    name: 'Someone',
    status: 'active',
    roles: [],
    started_in_role_on: null,
    leaving_on: null,
    left_on: null,
    replacement_contact_id: null,
    last_touch_at: daysAgo(5),
    last_outside_meeting_at: null,
    touchpoint_count: 5,
    ...overrides,
  };
}

/** A well-covered account: every rule quiet. Tests change one thing at a time. */
function healthyAccount(overrides: Partial<AccountRiskInput> = {}): AccountRiskInput {
  return {
    account: { id: 1, meeting_cadence_days: 30, created_at: daysAgo(400) },
    contacts: [
      contact({ name: 'Maria Lopez', roles: ['decision_maker'], last_outside_meeting_at: daysAgo(10) }),
      contact({ name: 'Ken Ito', roles: ['boss'] }),
      contact({ name: 'Priya Shah', roles: ['user'] }),
      contact({ name: 'Tom Becker', roles: ['influencer'] }),
    ],
    last_touchpoint_at: daysAgo(5),
    overdue_commitments: [],
    overdue_complaint_follow_ups: [],
    recovery_steps: [],
    open_complaints: [],
    departure_signals: [],
    ...overrides,
  };
}

const codesOf = (input: AccountRiskInput, clock = utc) => assessAccount(input, clock).flags.map((flag) => flag.code);
const flagOf = (input: AccountRiskInput, code: string, clock = utc) => assessAccount(input, clock).flags.find((flag) => flag.code === code);
const withContacts = (change: (contacts: RiskContact[]) => RiskContact[]) => {
  const base = healthyAccount();
  return { ...base, contacts: change(base.contacts) };
};

describe('a healthy account', () => {
  it('raises nothing and scores 0 (ok)', () => {
    const risk = assessAccount(healthyAccount(), utc);
    expect(risk.flags).toEqual([]);
    expect(risk.score).toBe(0);
    expect(risk.level).toBe('ok');
    expect(risk.warm_contacts.map((c) => c.name)).toEqual(['Maria Lopez', 'Ken Ito', 'Priya Shah', 'Tom Becker']);
  });
});

describe('no_decision_maker', () => {
  it('is raised when no contact still at the account holds the role', () => {
    const input = withContacts((contacts) => contacts.map((c) => (c.roles.includes('decision_maker') ? { ...c, status: 'left' as const } : c)));
    expect(codesOf(input)).toContain('no_decision_maker');
  });
  it('is not raised while the decision-maker is leaving (they still decide until they go)', () => {
    const input = withContacts((contacts) => contacts.map((c) => (c.roles.includes('decision_maker') ? { ...c, status: 'leaving' as const } : c)));
    expect(codesOf(input)).not.toContain('no_decision_maker');
    expect(codesOf(input)).toContain('key_contact_leaving');
  });
});

describe('single_threaded', () => {
  it('is raised when only one person was in touch in the last 90 days, and names them', () => {
    const input = withContacts((contacts) => contacts.map((c, index) => (index === 0 ? c : { ...c, last_touch_at: daysAgo(91) })));
    const flag = flagOf(input, 'single_threaded');
    expect(flag?.message).toBe('Only Maria Lopez has been in touch in the last 90 days: if they left tomorrow, nobody would know you.');
    expect(flag?.contact_id).toBe(input.contacts[0]!.id);
  });
  it('is not raised when the second contact was met exactly 90 days ago', () => {
    const input = withContacts((contacts) => contacts.map((c, index) => (index < 1 ? c : { ...c, last_touch_at: index === 1 ? daysAgo(90) : daysAgo(200) })));
    expect(codesOf(input)).not.toContain('single_threaded');
  });
  it('does not count contacts who left', () => {
    const input = withContacts((contacts) => contacts.map((c, index) => (index === 0 ? c : { ...c, status: 'left' as const })));
    expect(codesOf(input)).toContain('single_threaded');
  });
});

describe('decision_maker_meeting_overdue', () => {
  const metOutside = (days: number, hourUtc = 12) =>
    withContacts((contacts) => contacts.map((c) => (c.roles.includes('decision_maker') ? { ...c, last_outside_meeting_at: daysAgo(days, hourUtc) } : c)));

  it('is not raised on day 29 or day 30 of a 30-day cadence', () => {
    expect(codesOf(metOutside(29))).not.toContain('decision_maker_meeting_overdue');
    expect(codesOf(metOutside(30))).not.toContain('decision_maker_meeting_overdue');
    expect(assessAccount(metOutside(30), utc).decision_maker_meeting?.due_in_days).toBe(0);
  });
  it('is raised on day 31 and says by how many days, naming the decision-maker', () => {
    expect(flagOf(metOutside(31), 'decision_maker_meeting_overdue')?.message).toBe(
      'No coffee with Maria Lopez (decision-maker) outside the office for 31 days — 1 day overdue on a 30-day cadence.',
    );
    expect(flagOf(metOutside(47), 'decision_maker_meeting_overdue')?.message).toBe(
      'No coffee with Maria Lopez (decision-maker) outside the office for 47 days — 17 days overdue on a 30-day cadence.',
    );
  });
  it('counts calendar days in the viewer’s time zone', () => {
    // A coffee on 24 Oct at 02:00 UTC was the evening of 23 Oct in Los Angeles: 30 days ago in UTC, 31 there.
    const meeting = metOutside(30, 2);
    expect(codesOf(meeting, { now, zone: 'UTC' })).not.toContain('decision_maker_meeting_overdue');
    expect(flagOf(meeting, 'decision_maker_meeting_overdue', { now, zone: 'America/Los_Angeles' })?.message).toMatch(/31 days — 1 day overdue/);
  });
  it('honours the account’s own cadence', () => {
    const weekly = { ...metOutside(10), account: { id: 1, meeting_cadence_days: 7, created_at: daysAgo(400) } };
    expect(flagOf(weekly, 'decision_maker_meeting_overdue')?.message).toMatch(/3 days overdue on a 7-day cadence/);
  });
  it('runs from the account’s opening when the decision-maker was never met outside', () => {
    const input = { ...withContacts((contacts) => contacts.map((c) => ({ ...c, last_outside_meeting_at: null }))), account: { id: 1, meeting_cadence_days: 30, created_at: daysAgo(40) } };
    expect(flagOf(input, 'decision_maker_meeting_overdue')?.message).toBe(
      'Never met Maria Lopez (decision-maker) outside the office — 10 days overdue on a 30-day cadence.',
    );
  });
});

describe('role coverage', () => {
  it('boss_unknown, no_influencers are raised exactly when nobody holds the role', () => {
    const input = withContacts((contacts) => contacts.filter((c) => !c.roles.includes('boss') && !c.roles.includes('influencer')));
    expect(codesOf(input)).toEqual(expect.arrayContaining(['boss_unknown', 'no_influencers']));
    expect(codesOf(healthyAccount())).not.toContain('boss_unknown');
  });
  it('no_users_engaged is raised when users were last touched 91 days ago, not 90', () => {
    const touchedUser = (days: number) => withContacts((contacts) => contacts.map((c) => (c.roles.includes('user') ? { ...c, last_touch_at: daysAgo(days) } : c)));
    expect(codesOf(touchedUser(90))).not.toContain('no_users_engaged');
    expect(flagOf(touchedUser(91), 'no_users_engaged')?.message).toBe('No touchpoint with a user (Priya Shah) in the last 90 days.');
  });
});

describe('departures', () => {
  it('key_contact_leaving names a boss or decision-maker who is leaving and when', () => {
    const input = withContacts((contacts) => contacts.map((c) => (c.roles.includes('boss') ? { ...c, status: 'leaving' as const, leaving_on: '2026-12-15' } : c)));
    expect(flagOf(input, 'key_contact_leaving')?.message).toBe("Ken Ito (decision-maker's boss) is leaving on 15 Dec 2026.");
  });
  it('a user who is leaving is not a key contact', () => {
    const input = withContacts((contacts) => contacts.map((c) => (c.roles.includes('user') ? { ...c, status: 'leaving' as const } : c)));
    expect(codesOf(input)).not.toContain('key_contact_leaving');
  });
  it('key_contact_left_unreplaced is raised until someone decides in their place', () => {
    const left = withContacts((contacts) => contacts.map((c) => (c.roles.includes('decision_maker') ? { ...c, status: 'left' as const, left_on: '2026-11-02' } : c)));
    expect(flagOf(left, 'key_contact_left_unreplaced')?.message).toBe('Maria Lopez (decision-maker) left on 2 Nov 2026 and no one has been named to decide in their place.');
    const replaced = { ...left, contacts: [...left.contacts, contact({ name: 'Ana Ruiz', roles: ['decision_maker'], started_in_role_on: '2026-11-02', touchpoint_count: 0 })] };
    expect(codesOf(replaced)).not.toContain('key_contact_left_unreplaced');
    expect(codesOf(replaced)).not.toContain('no_decision_maker');
  });
  it('new_key_contact: a decision-maker under 90 days in role met fewer than twice', () => {
    const newcomer = (startedDaysAgo: number, touchpoints: number) =>
      withContacts((contacts) => contacts.map((c) => (c.roles.includes('decision_maker') ? { ...c, started_in_role_on: dateDaysAgo(startedDaysAgo), touchpoint_count: touchpoints } : c)));
    expect(flagOf(newcomer(89, 1), 'new_key_contact')?.message).toBe(`Maria Lopez became decision-maker on 26 Aug 2026 and we have met them only once.`);
    expect(codesOf(newcomer(90, 1))).not.toContain('new_key_contact');
    expect(codesOf(newcomer(10, 2))).not.toContain('new_key_contact');
  });
});

describe('activity and follow-through', () => {
  it('account_gone_quiet after 45 days without any touchpoint, not at 45', () => {
    expect(codesOf(healthyAccount({ last_touchpoint_at: daysAgo(45) }))).not.toContain('account_gone_quiet');
    expect(flagOf(healthyAccount({ last_touchpoint_at: daysAgo(46) }), 'account_gone_quiet')?.message).toBe('No touchpoint with anyone for 46 days.');
  });
  it('commitment_overdue names the oldest late promise', () => {
    const input = healthyAccount({
      overdue_commitments: [
        { description: 'Send the toner price list', due_on: '2026-11-20', contact_id: 7, contact_name: 'Maria Lopez' },
        { description: 'Book the demo', due_on: '2026-11-21', contact_id: null, contact_name: null },
      ],
    });
    const flag = flagOf(input, 'commitment_overdue');
    expect(flag?.message).toBe('“Send the toner price list” for Maria Lopez was due 20 Nov 2026 — 3 days late (and 1 more promise).');
    expect(flag?.contact_id).toBe(7);
  });
  it('complaint_follow_up_overdue names the complaint', () => {
    const input = healthyAccount({
      overdue_complaint_follow_ups: [{ description: 'Copier jams daily', due_on: '2026-11-22', contact_id: null, contact_name: null }],
    });
    expect(flagOf(input, 'complaint_follow_up_overdue')?.message).toBe('Follow-up on the complaint “Copier jams daily” was due 22 Nov 2026 — 1 day late.');
  });
});

describe('score and level', () => {
  it('adds each raised rule’s weight once and caps at 100', () => {
    const bare = { ...healthyAccount(), contacts: [], last_touchpoint_at: null };
    const risk = assessAccount(bare, utc);
    const expected = riskRules.filter((rule) => risk.flags.some((flag) => flag.code === rule.code)).reduce((sum, rule) => sum + rule.weight, 0);
    expect(expected).toBeGreaterThan(100);
    expect(risk.score).toBe(100);
    expect(risk.level).toBe('critical');
  });
  it('maps scores to levels at the documented boundaries', () => {
    expect([0, 19, 20, 49, 50, 79, 80, 100].map(levelFor)).toEqual(['ok', 'ok', 'watch', 'watch', 'at_risk', 'at_risk', 'critical', 'critical']);
  });
  it('every flag carries a next action', () => {
    const bare = { ...healthyAccount(), contacts: [], last_touchpoint_at: null };
    for (const flag of assessAccount(bare, utc).flags) expect(flag.next_action.length).toBeGreaterThan(20);
  });
});
