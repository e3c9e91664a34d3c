import { describe, expect, it } from 'vitest';
import { type AccountRiskInput, type RiskContact, assessAccount } from '../../src/risk/risk.rules.js';

const now = new Date('2026-12-02T14:00:00Z');

function contact(id: number, name: string, roles: RiskContact['roles'], status: RiskContact['status'] = 'active'): RiskContact {
  return { id, name, status, roles, started_in_role_on: null, leaving_on: null, left_on: null, replacement_contact_id: null, last_touch_at: '2026-11-30T10:00:00Z', last_outside_meeting_at: '2026-11-25T07:30:00Z', touchpoint_count: 9 };
}

function account(signals: AccountRiskInput['departure_signals'], contacts = [contact(1, 'Maria Lopez', ['decision_maker']), contact(2, 'Tom Baker', ['user']), contact(3, 'Ken Ito', ['boss', 'influencer'])]): AccountRiskInput {
  return {
    account: { id: 7, meeting_cadence_days: 30, created_at: '2025-01-01T00:00:00Z' },
    contacts,
    last_touchpoint_at: '2026-11-30T10:00:00Z',
    overdue_commitments: [],
    overdue_complaint_follow_ups: [],
    recovery_steps: [],
    open_complaints: [],
    departure_signals: signals,
  };
}

const departureFlags = (input: AccountRiskInput) => assessAccount(input, { now, zone: 'UTC' }).flags.filter((flag) => flag.code === 'possible_departure');

describe('possible_departure', () => {
  it('is quiet without an open signal', () => {
    expect(departureFlags(account([]))).toEqual([]);
  });

  it('is high for a decision-maker, naming them and quoting the automatic reply', () => {
    const [flag, ...rest] = departureFlags(
      account([{ contact_id: 1, kind: 'auto_reply', received_at: '2026-12-02T08:00:00Z', excerpt: 'Maria Lopez is no longer with Harbor Dental Group.' }]),
    );
    expect(rest).toEqual([]);
    expect(flag).toMatchObject({ severity: 'high', contact_id: 1, message: 'Maria Lopez (decision-maker) may have left: their automatic reply on 2 Dec 2026 says “Maria Lopez is no longer with Harbor Dental Group.”.' });
  });

  it('is medium for anyone else, says a bounce is a bounce, and counts its weight once for several signals', () => {
    const input = account([
      { contact_id: 2, kind: 'bounce', received_at: '2026-12-01T08:00:00Z', excerpt: '5.1.1: user unknown' },
      { contact_id: 2, kind: 'auto_reply', received_at: '2026-11-30T08:00:00Z', excerpt: 'Tom has left the company.' },
    ]);
    const flags = departureFlags(input);
    expect(flags).toHaveLength(1);
    expect(flags[0]).toMatchObject({ severity: 'medium', contact_id: 2, message: 'Tom Baker may have left: mail to them bounced permanently on 1 Dec 2026.' });
    expect(assessAccount(input, { now, zone: 'UTC' }).score - assessAccount(account([]), { now, zone: 'UTC' }).score).toBe(30);
  });

  it("is high for the decision-maker's boss and quiet for someone already marked as left", () => {
    expect(departureFlags(account([{ contact_id: 3, kind: 'bounce', received_at: '2026-12-01T08:00:00Z', excerpt: '5.1.10' }]))[0]?.severity).toBe('high');
    const left = account([{ contact_id: 2, kind: 'bounce', received_at: '2026-12-01T08:00:00Z', excerpt: '5.1.1' }], [contact(1, 'Maria Lopez', ['decision_maker']), contact(2, 'Tom Baker', ['user'], 'left')]);
    expect(departureFlags(left)).toEqual([]);
  });
});
