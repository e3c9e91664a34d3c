import { describe, expect, it } from 'vitest';
import {
  type AccountRiskInput,
  type RecoveryStep,
  type RiskContact,
  type RiskLevel,
  assessAccount,
  scoreLevels,
} from '../../src/risk/risk.rules.js';

// The README's floor table as tests: from the day a decision-maker or boss is known to be leaving
// until the account is safe again, the level never drops below what the table says — however
// healthy the rest of the account is. Then onboarding, open complaints and the order of flags.

const now = new Date('2026-11-23T14:00:00Z'); // Monday
const utc = { now, zone: 'UTC' };
const daysAgo = (days: number) => new Date(Date.UTC(2026, 10, 23 - days, 12)).toISOString();
const dateIn = (days: number) => new Date(Date.UTC(2026, 10, 23 + days, 12)).toISOString().slice(0, 10);

let nextId = 100;
function person(overrides: Partial<RiskContact> = {}): RiskContact {
  return {
    id: nextId++,
    name: 'Someone',
    status: 'active',
    roles: [],
    started_in_role_on: null,
    leaving_on: null,
    left_on: null,
    replacement_contact_id: null,
    last_touch_at: daysAgo(3),
    last_outside_meeting_at: null,
    touchpoint_count: 6,
    ...overrides,
  };
}

/** A covered, warm account (scores 0) whose decision-maker Maria Lopez is in the state given. */
function bluewater(maria: Partial<RiskContact>, options: { successor?: 'none' | 'named' | 'met'; steps?: Partial<RecoveryStep>[]; openedDaysAgo?: number } = {}): AccountRiskInput {
  const ken = person({
    name: 'Ken Ito',
    roles: options.successor && options.successor !== 'none' ? ['decision_maker'] : ['influencer'],
    last_outside_meeting_at: options.successor === 'met' ? daysAgo(2) : null,
    started_in_role_on: '2026-01-05',
  });
  const mariaRow = person({
    name: 'Maria Lopez',
    roles: ['decision_maker'],
    last_outside_meeting_at: daysAgo(10),
    replacement_contact_id: options.successor && options.successor !== 'none' ? ken.id : null,
    ...maria,
  });
  const others = [
    person({ name: 'Grace Kim', roles: ['boss'] }),
    person({ name: 'Priya Shah', roles: ['user'] }),
    person({ name: 'Tom Becker', roles: ['influencer'], last_outside_meeting_at: daysAgo(10) }),
  ];
  // When nobody was named, someone else still decides unless the scenario says otherwise.
  const contacts = [mariaRow, ken, ...others];
  return {
    account: { id: 1, meeting_cadence_days: 30, created_at: daysAgo(options.openedDaysAgo ?? 400) },
    contacts,
    last_touchpoint_at: daysAgo(3),
    overdue_commitments: [],
    overdue_complaint_follow_ups: [],
    recovery_steps: (options.steps ?? []).map((step) => ({
      departed_contact_id: mariaRow.id,
      step: 'review_chain',
      description: 'Review the buying chain',
      due_on: dateIn(10),
      done_at: null,
      closed_reason: null,
      ...step,
    })),
    open_complaints: [],
    departure_signals: [],
  };
}

const atLeast = (level: RiskLevel, minimum: RiskLevel) => scoreLevels.indexOf(level as never) >= scoreLevels.indexOf(minimum as never);
const leftSteps = (done: { history?: boolean; others?: boolean } = {}): Partial<RecoveryStep>[] => [
  { step: 'introduce', done_at: daysAgo(5) },
  { step: 'coffee', done_at: daysAgo(2) },
  { step: 'history_report', done_at: done.history ? daysAgo(1) : null },
  { step: 'enlist_advocates', done_at: done.others ? daysAgo(1) : null },
  { step: 'review_chain', done_at: done.others ? daysAgo(1) : null },
  { step: 'follow_leaver', done_at: done.others ? daysAgo(1) : null },
];

const scenarios: { situation: string; input: () => AccountRiskInput; atLeast: RiskLevel }[] = [
  {
    situation: 'a decision-maker is leaving, no successor named',
    input: () => bluewater({ status: 'leaving', leaving_on: dateIn(42) }),
    atLeast: 'at_risk',
  },
  {
    situation: "the decision-maker's boss is leaving, no successor named",
    input: () => {
      const input = bluewater({});
      input.contacts = input.contacts.map((contact) => (contact.name === 'Grace Kim' ? { ...contact, status: 'leaving' as const, leaving_on: dateIn(30) } : contact));
      return input;
    },
    atLeast: 'at_risk',
  },
  {
    situation: 'leaving, successor named but not met outside the office yet',
    input: () => bluewater({ status: 'leaving', leaving_on: dateIn(42) }, { successor: 'named' }),
    atLeast: 'at_risk',
  },
  {
    situation: 'a decision-maker left, nobody decides in their place',
    input: () => {
      const input = bluewater({ status: 'left', left_on: dateIn(-6) });
      return { ...input, contacts: input.contacts.map((contact) => ({ ...contact, roles: contact.roles.filter((role) => role !== 'decision_maker' || contact.name === 'Maria Lopez') })) };
    },
    atLeast: 'critical',
  },
  {
    situation: 'left, successor named, not met outside the office yet',
    input: () => bluewater({ status: 'left', left_on: dateIn(-6) }, { successor: 'named', steps: leftSteps() }),
    atLeast: 'at_risk',
  },
  {
    situation: 'left, successor met, the account history not presented yet',
    input: () => bluewater({ status: 'left', left_on: dateIn(-6) }, { successor: 'met', steps: leftSteps() }),
    atLeast: 'at_risk',
  },
  {
    situation: 'left long ago, successor met, the history never presented (the playbook still says so)',
    input: () => bluewater({ status: 'left', left_on: dateIn(-200) }, { successor: 'met', steps: leftSteps() }),
    atLeast: 'at_risk',
  },
  {
    situation: 'left, successor met and history presented, playbook steps still open',
    input: () => bluewater({ status: 'left', left_on: dateIn(-6) }, { successor: 'met', steps: leftSteps({ history: true }) }),
    atLeast: 'watch',
  },
];

describe('a departure holds the level up until the account is safe again', () => {
  for (const scenario of scenarios)
    it(`${scenario.situation} → at least ${scenario.atLeast}`, () => {
      const risk = assessAccount(scenario.input(), utc);
      expect(atLeast(risk.level, scenario.atLeast), `level ${risk.level}, score ${risk.score}`).toBe(true);
      // The score agrees with the level, so lists sorted by score put it where it belongs.
      expect(risk.score).toBeGreaterThanOrEqual({ ok: 0, watch: 20, at_risk: 50, critical: 80 }[scenario.atLeast as 'watch']);
      expect(risk.flags.map((flag) => flag.code)).toContain(scenario.atLeast === 'critical' ? 'key_contact_left_unreplaced' : 'recovery_in_progress');
    });

  it('lets go when the playbook is done', () => {
    const risk = assessAccount(bluewater({ status: 'left', left_on: dateIn(-6) }, { successor: 'met', steps: leftSteps({ history: true, others: true }) }), utc);
    expect(risk.flags.map((flag) => flag.code)).not.toContain('recovery_in_progress');
  });

  it('lets go 90 days after the departure once the successor is met and briefed, steps open or not', () => {
    const day90 = assessAccount(bluewater({ status: 'left', left_on: dateIn(-90) }, { successor: 'met', steps: leftSteps({ history: true }) }), utc);
    expect(day90.flags.map((flag) => flag.code)).toContain('recovery_in_progress');
    const day91 = assessAccount(bluewater({ status: 'left', left_on: dateIn(-91) }, { successor: 'met', steps: leftSteps({ history: true }) }), utc);
    expect(day91.flags.map((flag) => flag.code)).not.toContain('recovery_in_progress');
    expect(day91.level).toBe('ok');
  });

  it('says in one sentence how far the recovery has got, and names the next step', () => {
    const risk = assessAccount(bluewater({ status: 'left', left_on: dateIn(-6) }, { successor: 'named', steps: leftSteps() }), utc);
    const recovery = risk.flags.find((flag) => flag.code === 'recovery_in_progress')!;
    expect(recovery.message).toBe('Maria Lopez left 6 days ago; Ken Ito not met outside the office yet; 2 of 6 recovery steps done.');
    expect(recovery.next_action).toBe('Have coffee with Ken Ito outside the office, as soon as possible.');
    expect(recovery.severity).toBe('high');

    const briefed = assessAccount(bluewater({ status: 'left', left_on: dateIn(-6) }, { successor: 'met', steps: leftSteps({ history: true }) }), utc);
    const watching = briefed.flags.find((flag) => flag.code === 'recovery_in_progress')!;
    expect(watching).toMatchObject({ severity: 'medium', message: 'Maria Lopez left 6 days ago; Ken Ito met outside the office; 3 of 6 recovery steps done.', next_action: 'Review the buying chain.' });
  });
});

describe('new accounts are onboarding, not emergencies', () => {
  const fresh = (openedDaysAgo: number, contacts: RiskContact[] = []): AccountRiskInput => ({
    account: { id: 7, meeting_cadence_days: 30, created_at: daysAgo(openedDaysAgo) },
    contacts,
    last_touchpoint_at: null,
    overdue_commitments: [],
    overdue_complaint_follow_ups: [],
    recovery_steps: [],
    open_complaints: [],
    departure_signals: [],
  });

  it('an account opened a minute ago is getting_started, with its score and flags still computed', () => {
    const risk = assessAccount(fresh(0), utc);
    expect(risk.level).toBe('getting_started');
    expect(risk.score).toBe(100);
    expect(risk.flags.map((flag) => flag.code)).toContain('no_decision_maker');
  });

  it('stays getting_started for 14 days while unmapped, then counts as usual', () => {
    expect(assessAccount(fresh(13), utc).level).toBe('getting_started');
    expect(assessAccount(fresh(14), utc).level).toBe('critical');
  });

  it('is mapped with an active decision-maker and at least two people', () => {
    const one = [person({ roles: ['decision_maker'] })];
    expect(assessAccount(fresh(2, one), utc).level).toBe('getting_started');
    const two = [person({ roles: ['decision_maker'] }), person({ roles: ['user'] })];
    expect(assessAccount(fresh(2, two), utc).level).not.toBe('getting_started');
  });

  it('a departure flag counts from day one', () => {
    const leaving = [person({ name: 'Tom Alvarez', roles: ['decision_maker'], status: 'leaving', leaving_on: dateIn(20) })];
    const risk = assessAccount(fresh(1, leaving), utc);
    expect(risk.level).not.toBe('getting_started');
    expect(atLeast(risk.level, 'at_risk')).toBe(true);
  });
});

describe('complaint_unresolved', () => {
  const withComplaint = (complaint: { raised: number; acknowledged?: number; fromDecisionMaker?: boolean }) => {
    const input = bluewater({});
    const maria = input.contacts[0]!;
    const priya = input.contacts.find((contact) => contact.name === 'Priya Shah')!;
    const from = complaint.fromDecisionMaker ? maria : priya;
    input.open_complaints = [
      {
        description: 'Toner delivered to the wrong site',
        raised_on: dateIn(-complaint.raised),
        acknowledged_on: complaint.acknowledged === undefined ? null : dateIn(-complaint.acknowledged),
        contact_id: from.id,
        contact_name: from.name,
      },
    ];
    return assessAccount(input, utc).flags.find((flag) => flag.code === 'complaint_unresolved');
  };

  it('waits 2 days for an acknowledgement, then says so (medium)', () => {
    expect(withComplaint({ raised: 2 })).toBeUndefined();
    expect(withComplaint({ raised: 3 })).toMatchObject({
      severity: 'medium',
      message: 'The complaint “Toner delivered to the wrong site” from Priya Shah, raised 3 days ago, has not been acknowledged.',
    });
  });

  it('once acknowledged, waits 14 days for the fix', () => {
    expect(withComplaint({ raised: 14, acknowledged: 13 })).toBeUndefined();
    expect(withComplaint({ raised: 15, acknowledged: 13 })?.message).toMatch(/raised 15 days ago, has not been resolved\.$/);
  });

  it('is high when a decision-maker raised it', () => {
    expect(withComplaint({ raised: 5, fromDecisionMaker: true })?.severity).toBe('high');
  });
});

describe('flags are listed by severity, then weight', () => {
  it('a high departure flag comes before a low "No influencers"', () => {
    const input = bluewater({ status: 'leaving', leaving_on: '2026-12-23' });
    input.contacts = input.contacts.map((contact) => ({ ...contact, roles: contact.roles.filter((role) => role !== 'influencer') }));
    const flags = assessAccount(input, utc).flags;
    const rank = { high: 3, medium: 2, low: 1 };
    expect(flags.map((flag) => flag.code)).toEqual(['key_contact_leaving', 'recovery_in_progress', 'no_influencers']);
    for (let i = 1; i < flags.length; i++) expect(rank[flags[i - 1]!.severity]).toBeGreaterThanOrEqual(rank[flags[i]!.severity]);
  });
});
